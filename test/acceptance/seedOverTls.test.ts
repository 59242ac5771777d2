/** The replication acceptance suite again, over TcpTransport with TLS on loopback (the handshake bound to the TLS channel). */
import { seedSuite } from './seedSuite.js';

seedSuite('tls');
