<?php
// Dead-letter interop scenario for php-amqplib: confirmed persistent publishes with nested
// headers, a multi-frame body, manual acks and a rejection that dead-letters with x-death.
// Usage: php Interop/php-amqplib/scenario.php AMQP-URL
require_once '/usr/share/php/PhpAmqpLib/autoload.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

if ($argc !== 2) {
    fwrite(STDERR, "usage: php {$argv[0]} AMQP-URL\n");
    exit(2);
}
$url = parse_url($argv[1]);
$S = (string) random_int(0, 2 ** 31);
$DLX = "interop-dlx-$S";
$DLQ = "interop-dlq-$S";
$WORK = "interop-work-$S";
const CHECK_TIMEOUT = 20;
const IO_TIMEOUT = 10; // library read/wait timeouts; the alarm below is only the backstop
$BIG = '';
for ($k = 0; $k < 300000; $k++) {
    $BIG .= chr($k % 251);
}

$passed = 0;
$failed = 0;

// php-amqplib blocks in stream_select; an alarm that throws makes sure no check hangs.
pcntl_async_signals(true);
pcntl_signal(SIGALRM, function () {
    throw new RuntimeException('timed out after ' . CHECK_TIMEOUT . ' s');
});

function check(string $name, callable $body): void
{
    global $passed, $failed;
    pcntl_alarm(CHECK_TIMEOUT);
    try {
        $body();
        pcntl_alarm(0);
        $passed++;
        echo "ok $name\n";
    } catch (Throwable $e) { // a failed check is reported, never fatal
        pcntl_alarm(0);
        $failed++;
        echo "FAIL $name: " . get_class($e) . ': ' . str_replace("\n", ' ', $e->getMessage()) . "\n";
    }
}

// Tables compare by value, not key order or integer width.
function norm($v)
{
    if (!is_array($v)) {
        return $v;
    }
    if (!array_is_list($v)) {
        ksort($v);
    }
    return array_map('norm', $v);
}

function eq(string $what, $got, $want): void
{
    if (norm($got) !== norm($want)) {
        throw new RuntimeException("$what: got " . json_encode($got) . ', want ' . json_encode($want));
    }
}

function trace(int $i): array
{
    return ['id' => "t-$i", 'hops' => [1, 'two', ['three' => 3]], 'deep' => ['level' => 2, 'ok' => true]];
}

function headers(int $i): array
{
    return ['trace' => trace($i), 'n' => $i, 'ms' => 1764748800000 + $i];
}

function connect(array $url): AMQPStreamConnection
{
    $vhost = rawurldecode(substr($url['path'] ?? '', 1));
    return new AMQPStreamConnection(
        $url['host'], $url['port'] ?? 5672,
        rawurldecode($url['user'] ?? 'guest'), rawurldecode($url['pass'] ?? 'guest'),
        // A URL ending in "/" means the vhost "" by the AMQP URI spec; the matrix means "/".
        $vhost === '' ? '/' : $vhost,
        false, 'AMQPLAIN', null, 'en_US', IO_TIMEOUT, IO_TIMEOUT
    );
}

// Retries until the callable returns non-null; brokers dead-letter and settle asynchronously.
function eventually(float $seconds, callable $try)
{
    $deadline = microtime(true) + $seconds;
    do {
        $value = $try();
        if ($value !== null) {
            return $value;
        }
        usleep(50000);
    } while (microtime(true) < $deadline);
    return null;
}

$conn = null;
$setupError = null;
pcntl_alarm(CHECK_TIMEOUT);
try {
    $conn = connect($url);
    $ch = $conn->channel();
    // php-amqplib declares auto-delete by default; the work queue must outlive its consumer.
    $ch->exchange_declare($DLX, 'fanout', false, false, false);
    $ch->queue_declare($DLQ, false, false, false, false);
    $ch->queue_bind($DLQ, $DLX);
    $ch->queue_declare($WORK, false, true, false, false, false, new AMQPTable(['x-dead-letter-exchange' => $DLX]));
    $ch->close();
} catch (Throwable $e) {
    $setupError = 'setup failed: ' . get_class($e) . ': ' . $e->getMessage();
}
pcntl_alarm(0);

$setupOk = function () use (&$setupError) {
    if ($setupError !== null) {
        throw new RuntimeException($setupError);
    }
};

$pub = null;
$acks = 0;
$nacks = 0;
check('confirmed persistent publishes with nested headers', function () use (&$pub, &$acks, &$nacks, $conn, $setupOk, $WORK) {
    $setupOk();
    $pub = $conn->channel();
    $pub->set_ack_handler(function (AMQPMessage $m) use (&$acks) { $acks++; });
    $pub->set_nack_handler(function (AMQPMessage $m) use (&$nacks) { $nacks++; });
    $pub->confirm_select();
    for ($i = 1; $i <= 3; $i++) {
        $pub->basic_publish(new AMQPMessage("message $i", [
            'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
            'content_type' => 'text/plain',
            'application_headers' => new AMQPTable(headers($i)),
        ]), '', $WORK);
    }
    $pub->wait_for_pending_acks_returns(IO_TIMEOUT);
    eq('acks', $acks, 3);
    eq('nacks', $nacks, 0);
});

check('multi-frame body', function () use (&$pub, &$acks, &$nacks, $setupOk, $WORK, $BIG) {
    $setupOk();
    $pub->basic_publish(new AMQPMessage($BIG, [
        'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
        'content_type' => 'application/octet-stream',
    ]), '', $WORK);
    $pub->wait_for_pending_acks_returns(IO_TIMEOUT);
    eq('acks', $acks, 4);
    eq('nacks', $nacks, 0);
});

check('manual acks', function () use ($conn, $setupOk, $WORK, $BIG) {
    $setupOk();
    $con = $conn->channel();
    $con->basic_qos(0, 10, false);
    $got = [];
    $tag = $con->basic_consume($WORK, '', false, false, false, false, function (AMQPMessage $m) use (&$got) {
        $got[] = $m;
    });
    while (count($got) < 4) {
        $con->wait(null, false, IO_TIMEOUT);
    }
    $con->basic_cancel($tag);
    eq('bodies in publish order', array_map(fn ($m) => strlen($m->getBody()) > 100 ? 'big' : $m->getBody(), $got),
        ['message 1', 'message 2', 'message 3', 'big']);
    foreach ($got as $k => $m) {
        $n = $k + 1;
        eq("delivery_mode of delivery $n", $m->get('delivery_mode'), 2);
        if ($n <= 3) {
            eq("content_type of delivery $n", $m->get('content_type'), 'text/plain');
            eq("headers of delivery $n", $m->get('application_headers')->getNativeData(), headers($n));
        } elseif ($m->getBody() !== $BIG) {
            throw new RuntimeException('big body corrupted (' . strlen($m->getBody()) . ' bytes)');
        }
    }
    $con->basic_ack($got[0]->getDeliveryTag());
    $con->basic_ack($got[1]->getDeliveryTag());
    $con->basic_reject($got[2]->getDeliveryTag(), false);
    $con->basic_ack($got[3]->getDeliveryTag());
    $con->close(); // a synchronous round trip, so the acks above have reached the broker
});

check('rejection dead-letters with x-death', function () use ($conn, $setupOk, $WORK, $DLQ) {
    $setupOk();
    $ch = $conn->channel();
    $m = eventually(5, fn () => $ch->basic_get($DLQ));
    if ($m === null) {
        throw new RuntimeException("nothing dead-lettered to $DLQ within 5 s");
    }
    eq('body', $m->getBody(), 'message 3');
    $h = $m->has('application_headers') ? $m->get('application_headers')->getNativeData() : [];
    $deaths = $h['x-death'] ?? null;
    if (!is_array($deaths) || !array_is_list($deaths) || count($deaths) !== 1 || !is_array($deaths[0])) {
        throw new RuntimeException('x-death: got ' . json_encode($deaths) . ', want a list of one table');
    }
    $d = $deaths[0];
    eq('x-death count', $d['count'] ?? null, 1);
    eq('x-death reason', $d['reason'] ?? null, 'rejected');
    eq('x-death queue', $d['queue'] ?? null, $WORK);
    eq('x-death exchange', $d['exchange'] ?? null, '');
    eq('x-death routing-keys', $d['routing-keys'] ?? null, [$WORK]);
    eq('x-first-death-reason', $h['x-first-death-reason'] ?? null, 'rejected');
    eq('x-first-death-queue', $h['x-first-death-queue'] ?? null, $WORK);
    eq('trace header', $h['trace'] ?? null, trace(3));
    $ch->basic_ack($m->getDeliveryTag());
    $ch->close();
});

check('nothing left behind', function () use ($conn, $setupOk, $WORK, $DLQ) {
    $setupOk();
    $ch = $conn->channel();
    foreach (['work queue' => $WORK, 'dead-letter queue' => $DLQ] as $what => $queue) {
        $count = fn () => $ch->queue_declare($queue, true)[1];
        eventually(3, fn () => $count() === 0 ? 0 : null);
        eq("$what message count", $count(), 0);
    }
    $ch->close();
});

// Cleanup runs whatever happened above, on a fresh connection if the first one is gone.
pcntl_alarm(CHECK_TIMEOUT);
try {
    if ($conn === null || !$conn->isConnected()) {
        $conn = connect($url);
    }
    $ch = $conn->channel();
    $ch->queue_delete($WORK);
    $ch->queue_delete($DLQ);
    $ch->exchange_delete($DLX);
    $conn->close();
} catch (Throwable $e) {
    fwrite(STDERR, 'cleanup: ' . get_class($e) . ': ' . $e->getMessage() . "\n");
}
pcntl_alarm(0);

echo "$passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
