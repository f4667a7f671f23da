/**
 * Differential tests run traced copies of compiled classes on purpose; their once-per-class
 * tracer warnings (PLAIT_TRACER_FALLBACK) would only fill the log. Node prints process warnings
 * through its own 'warning' listener, and a test worker has no other: importing this file drops it.
 */
process.removeAllListeners('warning')
