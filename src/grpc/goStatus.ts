/**
 * gRPC errors as grpc-go prints them (`status.Error(...).Error()`): fortio logs and returns that
 * text, e.g. `rpc error: code = Unavailable desc = …`, so tripbench names codes the same way.
 */

/** grpc-go's codes.Code String() names, by number. */
const CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
] as const;

export function goCodeName(code: number): string {
  return CODE_NAMES[code] ?? `Code(${code})`;
}

/** `rpc error: code = Unavailable desc = details`. */
export function goStatusText(code: number, details: string): string {
  return `rpc error: code = ${goCodeName(code)} desc = ${details}`;
}
