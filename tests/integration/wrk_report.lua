-- wrk script for test_load.sh. Counts the requests wrk actually wrote (one
-- per connection with "Connection: close"), so the test can account for
-- every connection: those wrk's stop cut between connect and request never
-- reach nginx's log. At the end, writes wrk's summary and that count as
-- JSON to $WRK_JSON, so the test reads numbers, not wrk's text.
local threads = {}

setup = function(thread)
	table.insert(threads, thread)
end

init = function(args)
	sent = 0
	req = wrk.format()
end

request = function()
	sent = sent + 1
	return req
end

done = function(summary, latency, requests)
	local e = summary.errors
	local total = 0
	for _, t in ipairs(threads) do
		total = total + t:get("sent")
	end
	-- Before the run, wrk 4 calls request() once in the first thread's
	-- state to count pipelined requests (script_verify_request); that
	-- request is never written.
	if total > 0 then
		total = total - 1
	end
	local f = assert(io.open(os.getenv("WRK_JSON"), "w"))
	f:write(string.format(
		'{"requests": %d, "requests_sent": %d, "duration_us": %d, ' ..
		'"bytes": %d, "errors": {"connect": %d, "read": %d, ' ..
		'"write": %d, "status": %d, "timeout": %d}, ' ..
		'"latency_mean_us": %.1f, "latency_p99_us": %d, ' ..
		'"latency_max_us": %d}\n',
		summary.requests, total, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency.mean, latency:percentile(99), latency.max))
	f:close()
end
