import { getOption, hasOption, type DescMethod } from '@bufbuild/protobuf';
import { access, type MethodAccess } from '@aegis/proto/aegis/common/v1/access_pb.js';

// Reading an option decodes it from the descriptor each time; every authenticated call asks,
// so the answer is kept per method (descriptors live as long as the process).
const cache = new WeakMap<DescMethod, MethodAccess | null>();

/**
 * Who may call a method, as its contract declares with `(aegis.common.v1.access)`. A method
 * without the option is treated as requiring authentication (deny unless allowed).
 */
export function methodAccess(method: DescMethod): MethodAccess | undefined {
  let rule = cache.get(method);
  if (rule === undefined) {
    rule = hasOption(method, access) ? getOption(method, access) : null;
    cache.set(method, rule);
  }
  return rule ?? undefined;
}

export function isPublicMethod(method: DescMethod): boolean {
  return methodAccess(method)?.public === true;
}
