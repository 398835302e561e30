export { generateKeyringSpec, needsReseal, open as openSealed, parseKeyring, seal, SecretBoxError, type Keyring } from './secret-box.js';
