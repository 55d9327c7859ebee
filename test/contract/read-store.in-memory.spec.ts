import { InMemoryReadStore } from '../../src/platform/read-store/in-memory/in-memory-read-store';
import { describeReadStoreContract } from './read-store.contract';

describeReadStoreContract(
  'in-memory',
  async () => {
    const store = new InMemoryReadStore();
    return { store, dispose: () => store.close() };
  },
  { durable: false },
);
