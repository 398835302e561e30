export { createServiceServer, type ServiceServer, type ServiceServerOptions } from './service-server.js';
export type { HttpRequest, HttpResponse, HttpRoute } from './http-routes.js';
export { observeStream, STREAM_CANCELLED, type StreamObserver } from './stream-end.js';
export { CLIENT_ADDRESS_HEADER, clientAddress, fromTrustedPeer, TRUSTED_PEER_HEADER } from './client-address.js';
