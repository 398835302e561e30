import { placeholder } from '@aegis/shared';
import { create } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
test('esm + ts + workspace import', () => {
  expect(placeholder).toBe(1);
  expect(create(TimestampSchema, { seconds: 1n }).seconds).toBe(1n);
});
