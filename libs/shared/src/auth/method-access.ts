import { getOption, hasOption, type DescMethod } from '@bufbuild/protobuf';
import { access, type MethodAccess } from '@aegis/proto/aegis/common/v1/access_pb.js';

/**
 * Who may call a method, as its contract declares with `(aegis.common.v1.access)`. A method
 * without the option is treated as requiring authentication (deny unless allowed).
 */
export function methodAccess(method: DescMethod): MethodAccess | undefined {
  return hasOption(method, access) ? getOption(method, access) : undefined;
}

export function isPublicMethod(method: DescMethod): boolean {
  return methodAccess(method)?.public === true;
}
