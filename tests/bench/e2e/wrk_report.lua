-- wrk script for tests/bench/e2e.sh: writes wrk's summary as JSON to
-- $WRK_JSON so the harness reads numbers, not wrk's text.
done = function(summary, latency, requests)
	local e = summary.errors
	local f = assert(io.open(os.getenv("WRK_JSON"), "w"))
	f:write(string.format(
		'{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
		'"errors": {"connect": %d, "read": %d, "write": %d, ' ..
		'"status": %d, "timeout": %d}, "latency_mean_us": %.1f, ' ..
		'"latency_p50_us": %d, "latency_p99_us": %d}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency.mean, latency:percentile(50), latency:percentile(99)))
	f:close()
end
