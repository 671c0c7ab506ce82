# Dead-letter interop scenario for bunny: confirmed persistent publishes with nested
# headers, a multi-frame body, manual acks and a rejection that dead-letters with x-death.
# Usage: ruby Interop/bunny/scenario.rb AMQP-URL
require "bunny"
require "timeout"

ARGV.size == 1 or abort("usage: ruby #{$0} AMQP-URL")
# Bunny reads a URL ending in "/" as the vhost "" (per the AMQP URI spec); the matrix means "/".
URL = ARGV[0].sub(%r{\A(amqps?://[^/]*)/\z}, '\\1')
S = rand(2**31).to_s
DLX = "interop-dlx-#{S}"
DLQ = "interop-dlq-#{S}"
WORK = "interop-work-#{S}"
CHECK_TIMEOUT = 20
BIG = (0...300_000).map { |k| k % 251 }.pack("C*")

$passed = 0
$failed = 0

class CheckFailed < StandardError; end

# A failure is reported and counted, never fatal; Timeout keeps a broker that never answers
# from hanging the run.
def check(name)
  Timeout.timeout(CHECK_TIMEOUT) { yield }
  $passed += 1
  puts "ok #{name}"
rescue Exception => e # includes Timeout::Error and bunny's own errors
  $failed += 1
  puts "FAIL #{name}: #{e.class}: #{e.message.to_s.gsub("\n", " ")}"
ensure
  $stdout.flush
end

def eq(what, got, want)
  raise CheckFailed, "#{what}: got #{got.inspect}, want #{want.inspect}" unless got == want
end

def trace(i)
  {"id" => "t-#{i}", "hops" => [1, "two", {"three" => 3}], "deep" => {"level" => 2, "ok" => true}}
end

def headers(i)
  {"trace" => trace(i), "n" => i, "ms" => 1_764_748_800_000 + i}
end

# Retries until the block returns a truthy value; brokers dead-letter and settle asynchronously.
def eventually(seconds)
  deadline = Time.now + seconds
  loop do
    value = yield
    return value if value || Time.now > deadline
    sleep 0.05
  end
end

# Bunny's own timeouts fail a silent broker before the check's Timeout has to.
def connect
  Bunny.new(URL, automatically_recover: false, log_level: :fatal, connection_timeout: 10,
                 read_timeout: 10, write_timeout: 10, continuation_timeout: 10_000).tap(&:start)
end

conn = nil
setup_error = nil
begin
  Timeout.timeout(CHECK_TIMEOUT) do
    conn = connect
    ch = conn.create_channel
    ch.exchange_declare(DLX, "fanout", durable: false)
    ch.queue_declare(DLQ, durable: false)
    ch.queue_bind(DLQ, DLX)
    ch.queue_declare(WORK, durable: true, arguments: {"x-dead-letter-exchange" => DLX})
    ch.close
  end
rescue Exception => e
  setup_error = "setup failed: #{e.class}: #{e.message}"
end

def setup_ok!(setup_error)
  raise CheckFailed, setup_error if setup_error
end

pub = nil
check("confirmed persistent publishes with nested headers") do
  setup_ok!(setup_error)
  pub = conn.create_channel
  pub.confirm_select
  (1..3).each do |i|
    pub.default_exchange.publish("message #{i}", routing_key: WORK, persistent: true,
                                 content_type: "text/plain", headers: headers(i))
  end
  eq("all confirmed with ack", pub.wait_for_confirms, true)
  eq("nacked set", pub.nacked_set.to_a, [])
  eq("unconfirmed set", pub.unconfirmed_set.to_a, [])
end

check("multi-frame body") do
  setup_ok!(setup_error)
  raise CheckFailed, "frame_max #{conn.frame_max} does not split the body" unless BIG.bytesize > conn.frame_max
  pub.default_exchange.publish(BIG, routing_key: WORK, persistent: true,
                               content_type: "application/octet-stream")
  eq("big body confirmed with ack", pub.wait_for_confirms, true)
  eq("nacked set", pub.nacked_set.to_a, [])
end

check("manual acks") do
  setup_ok!(setup_error)
  con = conn.create_channel
  con.prefetch(10)
  inbox = Queue.new
  consumer = con.basic_consume(WORK, con.generate_consumer_tag, false) do |info, props, body|
    inbox << [info, props, body]
  end
  got = Array.new(4) { inbox.pop } # bounded by the check's Timeout
  con.basic_cancel(consumer.consumer_tag)
  eq("bodies in publish order", got.map { |_, _, b| b.bytesize > 100 ? "big" : b },
     ["message 1", "message 2", "message 3", "big"])
  got.each_with_index do |(_, props, body), k|
    eq("delivery_mode of delivery #{k + 1}", props.delivery_mode, 2)
    if k < 3
      eq("content_type of delivery #{k + 1}", props.content_type, "text/plain")
      eq("headers of delivery #{k + 1}", props.headers, headers(k + 1))
    else
      eq("big body size", body.bytesize, BIG.bytesize)
      raise CheckFailed, "big body corrupted" unless body.b == BIG
    end
  end
  con.ack(got[0][0].delivery_tag)
  con.ack(got[1][0].delivery_tag)
  con.reject(got[2][0].delivery_tag, false)
  con.ack(got[3][0].delivery_tag)
  con.close # a synchronous round trip, so the acks above have reached the broker
end

check("rejection dead-letters with x-death") do
  setup_ok!(setup_error)
  ch = conn.create_channel
  info, props, body = eventually(5) do
    r = ch.basic_get(DLQ, manual_ack: true)
    r[0] && r
  end
  raise CheckFailed, "nothing dead-lettered to #{DLQ} within 5 s" unless info
  eq("body", body, "message 3")
  h = props[:headers] || {} # basic_get hands back the raw property hash
  deaths = h["x-death"]
  raise CheckFailed, "x-death: got #{deaths.inspect}, want a list of one table" unless deaths.is_a?(Array) && deaths.size == 1 && deaths[0].is_a?(Hash)
  d = deaths[0]
  eq("x-death count", d["count"], 1)
  eq("x-death reason", d["reason"], "rejected")
  eq("x-death queue", d["queue"], WORK)
  eq("x-death exchange", d["exchange"], "")
  eq("x-death routing-keys", d["routing-keys"], [WORK])
  eq("x-first-death-reason", h["x-first-death-reason"], "rejected")
  eq("x-first-death-queue", h["x-first-death-queue"], WORK)
  eq("trace header", h["trace"], trace(3))
  ch.ack(info.delivery_tag)
  ch.close
end

check("nothing left behind") do
  setup_ok!(setup_error)
  ch = conn.create_channel
  work = eventually(3) do
    n = ch.queue_declare(WORK, passive: true).message_count
    n.zero? && n
  end
  eq("work queue message count", work || ch.queue_declare(WORK, passive: true).message_count, 0)
  dlq = eventually(3) do
    n = ch.queue_declare(DLQ, passive: true).message_count
    n.zero? && n
  end
  eq("dead-letter queue message count", dlq || ch.queue_declare(DLQ, passive: true).message_count, 0)
  ch.close
end

# Cleanup runs whatever happened above, on a fresh connection if the first one is gone.
begin
  Timeout.timeout(CHECK_TIMEOUT) do
    conn = connect unless conn&.status == :open
    ch = conn.create_channel
    ch.queue_delete(WORK)
    ch.queue_delete(DLQ)
    ch.exchange_delete(DLX)
    conn.close
  end
rescue Exception => e
  warn "cleanup: #{e.class}: #{e.message}"
end

puts "#{$passed} passed, #{$failed} failed"
exit($failed.zero? ? 0 : 1)
