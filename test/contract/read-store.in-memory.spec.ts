import { InMemoryReadStore } from '../../src/read-store/in-memory/in-memory-read-store';
import { describeReadStoreContract } from './read-store.contract';

describeReadStoreContract('in-memory', async () => {
  const store = new InMemoryReadStore();
  return { store, dispose: () => store.close() };
});
