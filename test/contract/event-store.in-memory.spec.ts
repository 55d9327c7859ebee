import { InMemoryEventStore } from '../../src/platform/event-store/in-memory/in-memory-event-store';
import { describeEmbeddedEventStoreBehaviour, describeEventStoreContract } from './event-store.contract';

describeEventStoreContract(
  'in-memory',
  async (options = {}) => {
    const store = new InMemoryEventStore(options);
    return { store, cleanup: () => store.close() };
  },
  { restart: false },
);

describeEmbeddedEventStoreBehaviour('in-memory', async (options) => {
  const store = new InMemoryEventStore(options);
  return { store, cleanup: () => store.close() };
});
