import { Code, ConnectError } from '@connectrpc/connect';
import { rpcCodeLabel } from '../../../src/metrics/index.js';
import { STREAM_CANCELLED } from '../../../src/server/index.js';

test('code labels use the Connect protocol spelling', () => {
  expect(rpcCodeLabel(undefined)).toBe('ok');
  expect(rpcCodeLabel(new ConnectError('x', Code.ResourceExhausted))).toBe('resource_exhausted');
  expect(rpcCodeLabel(new ConnectError('x', Code.NotFound))).toBe('not_found');
  expect(rpcCodeLabel(new Error('plain'))).toBe('unknown');
  expect(rpcCodeLabel(STREAM_CANCELLED)).toBe('canceled');
});
