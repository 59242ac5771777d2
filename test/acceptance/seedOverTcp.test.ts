/** The replication acceptance suite again, over TcpTransport on loopback. */
import { seedSuite } from './seedSuite.js';

seedSuite('tcp');
