"""`scripts/bench-watch --scale N`: what watching a broker with N queues costs, on RabbitMQ 3.10.8 and
on the embedded broker, in one run on this machine.

Starts a throwaway RabbitMQ node (scripts/rabbitmq-node) and `warren broker`, gives each N classic
queues (one in five holding a message, one in ten dead-lettering into scale.dlq) through
POST /api/definitions and AMQP, and measures with real processes (/proc CPU time, VmHWM):
  - RabbitMQ's own management UI baseline: one full GET /api/queues (what its Queues page asks);
  - beam.smp's CPU over 30 s, idle and with one `warren watch` (default refresh, 200x60 in tmux);
  - `warren watch`'s own CPU over those 30 s and its peak resident memory;
  - the time until `warren watch` first shows queue rows;
  - `warren queues --json`: wall time and peak resident memory, on both brokers.
"""
import base64
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_resident(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def request(management, path, body=None, method="GET", timeout=600):
    match = re.match(r"http://([^:]+):([^@]+)@([^/]+)/", management)
    auth = "Basic " + base64.b64encode(("%s:%s" % (match.group(1), match.group(2))).encode()).decode()
    req = urllib.request.Request("http://%s/api/%s" % (match.group(3), path), data=body, method=method)
    req.add_header("Authorization", auth)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return response.read()


def populate(management, amqp, count):
    queues = [{"name": "scale.dlq", "vhost": "/", "durable": False, "auto_delete": False, "arguments": {}}]
    for index in range(count):
        arguments = {"x-dead-letter-exchange": "scale.dlx"} if index % 10 == 0 else {}
        queues.append({"name": "scale.q%06d" % index, "vhost": "/", "durable": False, "auto_delete": False,
                       "arguments": arguments})
    definitions = {
        "exchanges": [{"name": "scale.dlx", "vhost": "/", "type": "fanout", "durable": False, "auto_delete": False,
                       "internal": False, "arguments": {}}],
        "queues": queues[:1],
        "bindings": [{"source": "scale.dlx", "vhost": "/", "destination": "scale.dlq", "destination_type": "queue",
                      "routing_key": "", "arguments": {}}],
    }
    request(management, "definitions", json.dumps(definitions).encode(), "POST")
    # RabbitMQ refuses a definitions body of 100,000 queues (400); 10,000 at a time it takes.
    for start in range(1, len(queues), 10000):
        request(management, "definitions", json.dumps({"queues": queues[start:start + 10000]}).encode(), "POST")
    import pika
    connection = pika.BlockingConnection(pika.URLParameters(amqp))
    channel = connection.channel()
    for index in range(0, count, 5):
        channel.basic_publish("", "scale.q%06d" % index, b"m")
    connection.close()


def beam_pid(node_dir):
    pid_file = re.search(r"RABBITMQ_PID_FILE='([^']+)'", open(os.path.join(node_dir, "node.sh")).read()).group(1)
    return int(open(pid_file).read().strip())


def cpu_share(pid, seconds):
    start_cpu, start = cpu_seconds(pid), time.time()
    time.sleep(seconds)
    return (cpu_seconds(pid) - start_cpu) / (time.time() - start)


def watch(warren, management, amqp, broker_pid, seconds):
    """Runs `warren watch` in tmux; returns (first screen s, broker CPU share, watch CPU share, watch peak RSS)."""
    session = "warren-scale-%d" % os.getpid()
    command = "env TERM=xterm-256color %s watch --management %s --amqp %s" % (warren, management, amqp)
    started = time.time()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "60", command], check=True)
    try:
        pid = int(subprocess.run(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"], check=True,
                                 capture_output=True, text=True).stdout.split()[0])
        first = None
        while time.time() - started < 300:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if "scale.q0" in screen or "scale.dlq" in screen:
                first = time.time() - started
                break
            time.sleep(0.1)
        # Let the first inventory and the first statistics settle before the 30 s sample.
        time.sleep(10)
        broker_start, watch_start, start = cpu_seconds(broker_pid), cpu_seconds(pid), time.time()
        time.sleep(seconds)
        elapsed = time.time() - start
        return (first, (cpu_seconds(broker_pid) - broker_start) / elapsed, (cpu_seconds(pid) - watch_start) / elapsed,
                peak_resident(pid))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def queues_command(warren, management):
    """`warren queues --json`: wall seconds and peak RSS (from the child's rusage)."""
    start = time.time()
    process = subprocess.Popen([warren, "queues", "--json", "--management", management], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.time() - start, usage.ru_maxrss * 1024


def full_listing(management):
    """Seconds and bytes of one full GET /api/queues; bytes None when the broker gave up on it."""
    start = time.time()
    try:
        size = len(request(management, "queues"))
    except Exception as error:
        print("    full /api/queues failed after %.1f s: %s" % (time.time() - start, error), flush=True)
        size = None
    return time.time() - start, size


def measure(warren, count, seconds):
    work = tempfile.mkdtemp(prefix="warren-bench-scale-")
    node_dir = os.path.join(work, "rabbitmq")
    subprocess.run([os.path.join(ROOT, "scripts", "rabbitmq-node"), "start", node_dir], check=True,
                   capture_output=True)
    env = open(os.path.join(node_dir, "env")).read()
    rabbit = {"amqp": re.search(r"WARREN_RABBITMQ_URL=(\S+)", env).group(1),
              "management": re.search(r"WARREN_RABBITMQ_MANAGEMENT_URL=(\S+)", env).group(1),
              "pid": beam_pid(node_dir)}
    log = open(os.path.join(work, "warren-broker.log"), "w+")
    broker = subprocess.Popen([warren, "broker", "--amqp-port", "0", "--management-port", "0"], stdout=log,
                              stderr=subprocess.STDOUT)
    figures = {}
    try:
        while True:
            log.seek(0)
            text = log.read()
            ports = re.findall(r"(AMQP|management) on (\S+)", text)
            if len(ports) == 2:
                break
            time.sleep(0.1)
        urls = dict(ports)
        host = lambda url: url.replace("://", "://guest:guest@")
        mine = {"amqp": host(urls["AMQP"]), "management": host(urls["management"]), "pid": broker.pid}
        for name, broker_urls in (("RabbitMQ", rabbit), ("Warren", mine)):
            print("==> %s: %d queues" % (name, count), flush=True)
            populate(broker_urls["management"], broker_urls["amqp"], count)
            # RabbitMQ goes on working for minutes after 100,000 declares (its statistics of the
            # new queues, the queues' own start-up): measure only once it is quiet again.
            settle_start = time.time()
            while time.time() - settle_start < 900 and cpu_share(broker_urls["pid"], 5) > 0.25:
                pass
            print("    settled after %.0f s" % (time.time() - settle_start), flush=True)
            listing, size = full_listing(broker_urls["management"])
            idle = cpu_share(broker_urls["pid"], seconds)
            first, busy, own, peak = watch(warren, broker_urls["management"], broker_urls["amqp"], broker_urls["pid"],
                                           seconds)
            command = queues_command(warren, broker_urls["management"])
            figures[name] = {"listing": listing, "listing_bytes": size, "idle": idle, "watched": busy,
                             "watch_cpu": own, "watch_peak": peak, "first_screen": first,
                             "queues_seconds": command[0], "queues_peak": command[1]}
            print("    %s" % json.dumps(figures[name]), flush=True)
    finally:
        broker.terminate()
        broker.wait()
        subprocess.run([os.path.join(ROOT, "scripts", "rabbitmq-node"), "stop", node_dir], capture_output=True)
    return figures


def report(count, figures, seconds):
    r, w = figures["RabbitMQ"], figures["Warren"]
    def listing(f):
        if f["listing_bytes"] is None:
            return "failed after %.1f s" % f["listing"]
        return "%.2f s (%.0f MB)" % (f["listing"], f["listing_bytes"] / 1e6)
    rows = [
        ("management UI baseline: full GET /api/queues", listing(r), listing(w)),
        ("broker CPU, idle (%d s)" % seconds, "%.1f%%" % (r["idle"] * 100), "%.1f%%" % (w["idle"] * 100)),
        ("broker CPU with one `warren watch`", "%.1f%%" % (r["watched"] * 100), "%.1f%%" % (w["watched"] * 100)),
        ("broker CPU added by `warren watch`", "%+.1f%% of a core" % ((r["watched"] - r["idle"]) * 100),
         "%+.1f%% of a core" % ((w["watched"] - w["idle"]) * 100)),
        ("`warren watch` own CPU (default refresh)", "%.1f%%" % (r["watch_cpu"] * 100), "%.1f%%" % (w["watch_cpu"] * 100)),
        ("`warren watch` peak RSS", "%.0f MB" % (r["watch_peak"] / 1e6), "%.0f MB" % (w["watch_peak"] / 1e6)),
        ("first screen of `warren watch`", "%.1f s" % (r["first_screen"] or -1), "%.1f s" % (w["first_screen"] or -1)),
        ("`warren queues --json`", "%.2f s, %.0f MB" % (r["queues_seconds"], r["queues_peak"] / 1e6),
         "%.2f s, %.0f MB" % (w["queues_seconds"], w["queues_peak"] / 1e6)),
    ]
    print("\n%d queues (1 in 5 holding a message, 1 in 10 dead-lettering), release build, 200x60" % count)
    print("| figure | RabbitMQ 3.10.8 | embedded broker |")
    print("| --- | ---: | ---: |")
    for row in rows:
        print("| %s | %s | %s |" % row)


def main(warren, counts, seconds):
    for count in counts:
        report(count, measure(warren, count, seconds), seconds)
