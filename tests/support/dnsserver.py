"""A small authoritative DNS server on 127.0.0.1 for the tests and benchmarks.

It serves every zone file in `tests/zones/*.zone` (the file name is the zone's
origin) over UDP and TCP on the same random free port, with dnspython's own
zone, message and rrset code: the AA flag, NOERROR with answers, NODATA and
NXDOMAIN with the zone's SOA in the authority section, CNAME chains followed
inside the served zones, empty non-terminals, EDNS (the client's payload size
is honoured) and truncation: a UDP answer that does not fit is sent with the
TC flag, so a resolver retries over TCP. Names outside every zone are REFUSED.

For the tests it can misbehave: any name under a suffix listed in `misbehave`
is dropped (never answered), answered SERVFAIL or REFUSED; and `delay` adds an
artificial latency to every answer (queries are still answered concurrently,
as a real server would). Every query received is recorded in `queries`.

    with DnsServer(delay=0.02) as server:
        resolver.nameservers = [Do53Nameserver("127.0.0.1", server.port)]

or `port = server.start()` ... `server.stop()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

ZONES = Path(__file__).resolve().parent.parent / "zones"

Behaviour = Literal["drop", "servfail", "refused"]

# Suffixes that misbehave unless the caller says otherwise: nothing under them
# is in a zone file; they exist only to exercise the checker's "unknown" path.
DEFAULT_MISBEHAVE: dict[str, Behaviour] = {
    "drop.test": "drop",
    "servfail.test": "servfail",
    "refused.test": "refused",
    # One domain that answers everything except its DKIM keys.
    "_domainkey.dkim-drop.example": "drop",
}

MAX_CNAME_CHAIN = 8


@dataclass(frozen=True)
class Query:
    """One query the server received."""

    name: str  # lower case, no trailing dot
    rdtype: str  # "TXT", "MX", ...
    transport: Literal["udp", "tcp"]


def load_zones(directory: Path = ZONES) -> dict[dns.name.Name, dns.zone.Zone]:
    """Read every `<origin>.zone` file in `directory`."""
    zones: dict[dns.name.Name, dns.zone.Zone] = {}
    for path in sorted(directory.glob("*.zone")):
        origin = dns.name.from_text(path.name.removesuffix(".zone"))
        zones[origin] = dns.zone.from_file(str(path), origin=origin, relativize=False)
    if not zones:
        raise RuntimeError(f"no zone files in {directory}")
    return zones


class DnsServer:
    """An authoritative server for the test zones, in a background thread."""

    def __init__(
        self,
        zone_dir: Path = ZONES,
        *,
        delay: float = 0.0,
        misbehave: Mapping[str, Behaviour] | None = None,
        port: int = 0,
    ) -> None:
        self.host = "127.0.0.1"  # never anything else
        self.port = port  # 0: a random free port, the same for UDP and TCP
        self.delay = delay
        self.zones = load_zones(zone_dir)
        behaviours = DEFAULT_MISBEHAVE if misbehave is None else misbehave
        self.misbehave: dict[dns.name.Name, Behaviour] = {
            dns.name.from_text(suffix): how for suffix, how in behaviours.items()
        }
        self.queries: list[Query] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> int:
        """Start serving; return the port (the same for UDP and TCP)."""
        if self._thread is not None:
            return self.port
        udp, tcp = _bind_pair(self.host, self.port)
        self.port = udp.getsockname()[1]
        self._ready.clear()
        self._thread = threading.Thread(
            target=self._run, args=(udp, tcp), name=f"dnsserver:{self.port}", daemon=True
        )
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError("the DNS server did not start") from self._error
        return self.port

    def stop(self) -> None:
        """Stop serving and close the sockets."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._stopping is not None:
            loop.call_soon_threadsafe(self._stopping.set)
        thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> DnsServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """`127.0.0.1:<port>`, as the checker's `nameservers` takes it."""
        return f"{self.host}:{self.port}"

    # -- query log ---------------------------------------------------------

    def reset(self) -> None:
        """Forget the queries received so far."""
        with self._lock:
            self.queries.clear()

    @property
    def query_count(self) -> int:
        with self._lock:
            return len(self.queries)

    def counts(self) -> Counter[tuple[str, str]]:
        """How many times each (name, type) was asked."""
        with self._lock:
            return Counter((q.name, q.rdtype) for q in self.queries)

    def transports(self, name: str, rdtype: str = "TXT") -> list[str]:
        """The transports the queries for (name, type) came over, in order."""
        name = name.lower().rstrip(".")
        with self._lock:
            return [q.transport for q in self.queries if q.name == name and q.rdtype == rdtype]

    def _record(self, query: dns.message.Message, transport: Literal["udp", "tcp"]) -> None:
        if not query.question:
            return
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        with self._lock:
            self.queries.append(Query(name, dns.rdatatype.to_text(question.rdtype), transport))

    # -- the event loop thread ---------------------------------------------

    def _run(self, udp: socket.socket, tcp: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(udp, tcp))
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            udp.close()
            tcp.close()

    async def _serve(self, udp: socket.socket, tcp: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), sock=udp)
        server = await asyncio.start_server(self._tcp_client, sock=tcp)
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            transport.close()
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1)
            for task in asyncio.all_tasks(loop):
                if task is not asyncio.current_task():
                    task.cancel()

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(2)
                (length,) = struct.unpack("!H", header)
                wire = await reader.readexactly(length)
                reply = await self.answer(wire, "tcp")
                if reply is None:
                    continue  # dropped: the client times out
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    # -- answering ---------------------------------------------------------

    async def answer(self, wire: bytes, transport: Literal["udp", "tcp"]) -> bytes | None:
        """Answer one query in wire format; None means "don't answer"."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # not worth a FORMERR for the tests
        self._record(query, transport)
        if self.delay:
            await asyncio.sleep(self.delay)
        response = dns.message.make_response(query, our_payload=1232)
        if query.opcode() != 0 or len(query.question) != 1:
            response.set_rcode(dns.rcode.NOTIMP)
            return response.to_wire()
        question = query.question[0]
        behaviour = self._behaviour(question.name)
        if behaviour == "drop":
            return None
        if behaviour == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        if behaviour == "refused" or question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        if not self._resolve(question.name, question.rdtype, response):
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        if transport == "tcp":
            return response.to_wire(max_size=65535)
        limit = max(512, query.payload) if query.edns >= 0 else 512
        return response.to_wire(max_size=limit, prefer_truncation=True)

    def _behaviour(self, name: dns.name.Name) -> Behaviour | None:
        for suffix, how in self.misbehave.items():
            if name.is_subdomain(suffix):
                return how
        return None

    def _zone_for(self, name: dns.name.Name) -> dns.zone.Zone | None:
        best: dns.zone.Zone | None = None
        for origin, zone in self.zones.items():
            if name.is_subdomain(origin) and (
                best is None or len(origin) > len(best.origin or dns.name.root)
            ):
                best = zone
        return best

    def _resolve(
        self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, response: dns.message.Message
    ) -> bool:
        """Fill `response` for (qname, rdtype); False if no zone holds qname."""
        zone = self._zone_for(qname)
        if zone is None:
            return False
        response.flags |= dns.flags.AA
        name = qname
        for _ in range(MAX_CNAME_CHAIN):
            node = zone.get_node(name)
            if node is None:
                if not _has_descendants(zone, name):
                    response.set_rcode(dns.rcode.NXDOMAIN)
                _add_soa(zone, response)
                return True
            if rdtype == dns.rdatatype.ANY:
                for rdataset in node.rdatasets:
                    response.answer.append(_rrset(name, rdataset))
                return True
            found = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if found is not None:
                response.answer.append(_rrset(name, found))
                return True
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None or rdtype == dns.rdatatype.CNAME:
                _add_soa(zone, response)  # NODATA
                return True
            response.answer.append(_rrset(name, cname))
            target: dns.name.Name = cname[0].target
            next_zone = self._zone_for(target)
            if next_zone is None:
                return True  # the resolver follows the chain elsewhere
            # A chain crossing into another zone stays authoritative: this one
            # server is authoritative for every zone it serves.
            zone, name = next_zone, target
        response.set_rcode(dns.rcode.SERVFAIL)  # CNAME loop
        return True


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


def _add_soa(zone: dns.zone.Zone, response: dns.message.Message) -> None:
    origin = zone.origin
    assert origin is not None
    soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
    if soa is None:
        return
    negative_ttl = min(soa.ttl, soa[0].minimum)  # RFC 2308
    response.authority.append(dns.rrset.from_rdata_list(origin, negative_ttl, list(soa)))


def _has_descendants(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    """True for an empty non-terminal: no records at `name`, some below it."""
    return any(other != name and other.is_subdomain(name) for other in zone.nodes)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(self._reply(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _reply(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.server.answer(data, "udp")
        if reply is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)


def _bind_pair(host: str, wanted: int = 0) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket bound to the same port on `host` (`wanted`, or a free one)."""
    for _ in range(1 if wanted else 50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((host, wanted))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(128)
        udp.setblocking(False)
        tcp.setblocking(False)
        return udp, tcp
    raise RuntimeError(f"no port {wanted or 'free'} for both UDP and TCP on {host}")


def serve(
    zone_dir: Path = ZONES,
    delay: float = 0.0,
    misbehave: Mapping[str, Behaviour] | None = None,
    port: int = 0,
) -> DnsServer:
    """Start a server and return it (stop it with `.stop()`)."""
    server = DnsServer(zone_dir, delay=delay, misbehave=misbehave, port=port)
    server.start()
    return server


def served_domains(server: DnsServer) -> Iterable[str]:
    """The origins of the zones the server answers for."""
    return sorted(o.to_text(omit_final_dot=True) for o in server.zones)


if __name__ == "__main__":  # pragma: no cover - manual use
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Serve tests/zones on 127.0.0.1.")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--port", type=int, default=0, help="default: a random free port")
    args = parser.parse_args()
    with DnsServer(delay=args.delay, port=args.port) as running:
        print(f"serving {len(running.zones)} zones on {running.address} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
