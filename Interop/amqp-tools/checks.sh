#!/usr/bin/env bash
# Interop checks with rabbitmq-c's command-line tools (Debian's amqp-tools), written against
# RabbitMQ 3.10.8 and run by scripts/interop against both RabbitMQ and Warren's embedded broker.
#
#   Interop/amqp-tools/checks.sh amqp://guest:guest@127.0.0.1:5672
#
# rabbitmq-c reads a URL ending in "/" as the vhost "", so the URL has no trailing slash here.
# Prints "ok NAME" or "FAIL NAME" with what differed, ends with "N passed, M failed", and exits
# 1 when any check failed.
set -uo pipefail

URL=${1:?usage: checks.sh AMQP-URL}
URL=${URL%/}
SUFFIX=$RANDOM$RANDOM
passed=0
failed=0

# check NAME EXPECTED-OUTPUT COMMAND...: runs the command with stderr folded into stdout and
# compares the output and exit status ("rc=N" appended) with what RabbitMQ gives.
check() {
    local name=$1 expected=$2
    shift 2
    local actual
    actual="$("$@" 2>&1; echo "rc=$?")"
    if [[ "$actual" == "$expected" ]]; then
        passed=$((passed + 1))
        echo "ok $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name: got [${actual//$'\n'/ | }], want [${expected//$'\n'/ | }]"
    fi
}

q=at-q-$SUFFIX
fan=at-fan-$SUFFIX

check "declare a durable queue" "$q
rc=0" amqp-declare-queue -u "$URL" -q "$q" -d
check "redeclare it non-durable is 406" "queue.declare: server channel error 406, message: PRECONDITION_FAILED - inequivalent arg 'durable' for queue '$q' in vhost '/': received 'false' but current is 'true'
rc=1" amqp-declare-queue -u "$URL" -q "$q"
for i in 1 2 3; do
    check "publish m$i persistent with a header" "rc=0" \
        amqp-publish -u "$URL" -r "$q" -b "m$i" -p -C text/plain -H "x-n: $i"
done
check "get the first message" "m1rc=0" amqp-get -u "$URL" -q "$q"
check "consume the next two, in order" "got m2
got m3
rc=0" amqp-consume -u "$URL" -q "$q" --count=2 awk '{print "got " $0}'
check "get from the empty queue exits 2" "rc=2" amqp-get -u "$URL" -q "$q"
check "publish to a missing exchange is 404" "closing channel: server channel error 404, message: NOT_FOUND - no exchange 'no-such-x-$SUFFIX' in vhost '/'
rc=1" amqp-publish -u "$URL" -e "no-such-x-$SUFFIX" -r k -b x

# amqp-consume declares the queue itself (auto-delete) and binds it.
amqp-consume -u "$URL" -q "$fan" -e amq.fanout -r ignored --count=1 awk '{print "fan " $0}' >"/tmp/at-fan-$SUFFIX" 2>&1 &
consumer=$!
for _ in $(seq 1 50); do
    amqp-publish -u "$URL" -e amq.fanout -r any-key -b fanned >/dev/null 2>&1
    sleep 0.1
    kill -0 "$consumer" 2>/dev/null || break
done
wait "$consumer"
check "consume from a queue bound to amq.fanout" "fan fanned
rc=0" cat "/tmp/at-fan-$SUFFIX"
rm -f "/tmp/at-fan-$SUFFIX"

check "delete the empty queue prints its message count" "0
rc=0" amqp-delete-queue -u "$URL" -q "$q"
check "a wrong password is 403" "logging in to AMQP server: server connection error 403, message: ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.
rc=1" amqp-get -u "$(sed 's#//guest:guest@#//guest:wrong@#' <<<"$URL")" -q "$q"

echo "$passed passed, $failed failed"
((failed == 0))
