/**
 * Whether a request that failed with this HTTP status may succeed on another attempt:
 * 408 (timeout), 409 (conflict), 429 (rate limit) and every 5xx. Client errors such as 400, 401,
 * 403, 404 and 422 fail the same way again.
 *
 * @example
 * ```ts
 * isRetryableStatus(429) // true
 * isRetryableStatus(400) // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500
}
