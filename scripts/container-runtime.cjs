// Does a container runtime answer? Asks testcontainers (DOCKER_HOST, ~/.testcontainers.properties, the Docker
// socket, Podman, Colima, …) and prints one JSON line: {"available":true,"info":…} or {"available":false,
// "reason":…}. Exit code 0 when one answers, 1 when not. Used by test/containers/runtime.ts and .ci/run.
const { getContainerRuntimeClient } = require('testcontainers');

getContainerRuntimeClient().then(
  (client) => {
    const i = client.info;
    const what = [i.containerRuntime && i.containerRuntime.host, i.engine && i.engine.serverVersion]
      .filter(Boolean)
      .join(', server ');
    console.log(JSON.stringify({ available: true, info: what || 'container runtime' }));
    process.exit(0);
  },
  (error) => {
    console.log(JSON.stringify({ available: false, reason: String((error && error.message) || error) }));
    process.exit(1);
  },
);
