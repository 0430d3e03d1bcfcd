// Driver errors → the error catalog, at the adapter's boundary. Everything that means "the cluster
// did not answer in time or has too few replicas" is `unavailable("storage")` (HTTP 503, retryable);
// anything else (a bad query, a missing keyspace) is a bug or a misconfiguration and passes unchanged.
import { errors, types } from "cassandra-driver";
import { AppError, unavailable } from "../../domain/errors";

const codes = types.responseErrorCodes;

/** Server answers that say the cluster cannot serve the request right now. */
const UNAVAILABLE_CODES = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.readTimeout,
  codes.writeTimeout,
  codes.readFailure,
  codes.writeFailure,
  codes.truncateError,
]);

function isUnavailable(error: unknown): boolean {
  return (
    error instanceof errors.NoHostAvailableError ||
    error instanceof errors.OperationTimedOutError ||
    error instanceof errors.BusyConnectionError ||
    (error instanceof errors.ResponseError && UNAVAILABLE_CODES.has(error.code))
  );
}

/** Translates a driver error into the catalog; anything unexpected is rethrown unchanged. */
export function translate(error: unknown): never {
  if (error instanceof AppError) throw error;
  if (isUnavailable(error)) throw unavailable("storage", error);
  throw error;
}

/** Thrown when a compare-and-set loop keeps losing; the request may be retried. */
export const contended = (what: string) =>
  unavailable("storage", new Error(`${what}: too much contention, gave up after repeated compare-and-set attempts`));
