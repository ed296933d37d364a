import RTL
import Testing

/// Pushes `count` tokens (0, 1, 2, ...) as fast as the channel accepts them; records the clock
/// of each accepted push and counts refusals.
final class Producer: Component {
    let path: String
    var channel: Channel<Int>!
    var next = 0
    let count: Int
    var pushedAt: [UInt64] = []
    var refused = 0

    init(path: String, count: Int) {
        self.path = path
        self.count = count
    }

    func tick(_ simulator: Simulator) {
        guard next < count else { return }
        if channel.push(next) {
            pushedAt.append(simulator.now)
            next += 1
        } else {
            refused += 1
        }
        if next < count, channel.ready { simulator.wake(self, after: 1) }
    }
}

/// Pops one token per clock when `enabled`; records the clock of each.
final class Consumer: Component {
    let path: String
    var channel: Channel<Int>!
    var enabled = true
    var received: [(token: Int, clock: UInt64)] = []

    init(path: String) { self.path = path }

    func tick(_ simulator: Simulator) {
        guard enabled, let token = channel.pop() else { return }
        received.append((token, simulator.now))
    }
}

@Suite("Clock kernel")
struct ClockTests {
    /// Producer and consumer joined by one channel, added in the given order.
    static func build(consumerFirst: Bool, capacity: Int = 4, latency: Int = 2, tokens: Int = 1, bytesPerClock: Int? = nil)
        -> (Simulator, Producer, Consumer, Channel<Int>) {
        let sim = Simulator(seed: 1)
        let producer = Producer(path: "top.producer", count: tokens)
        let consumer = Consumer(path: "top.consumer")
        if consumerFirst { sim.add(consumer); sim.add(producer) } else { sim.add(producer); sim.add(consumer) }
        let channel = Channel<Int>(sim, path: "top.link", capacity: capacity, latency: latency, bytesPerClock: bytesPerClock)
        channel.producer = producer
        channel.consumer = consumer
        producer.channel = channel
        consumer.channel = channel
        sim.wake(producer, at: 0)
        return (sim, producer, consumer, channel)
    }

    @Test("a latency-2 channel moves a token in exactly 2 clocks, whatever the declaration order", arguments: [false, true])
    func latencyTwo(consumerFirst: Bool) {
        let (sim, producer, consumer, _) = Self.build(consumerFirst: consumerFirst)
        sim.run(clocks: 10, afterClock: { _ in })
        #expect(producer.pushedAt == [0])
        #expect(consumer.received.count == 1)
        #expect(consumer.received.first?.clock == 2)
    }

    @Test("streams of tokens arrive at the same clocks in both declaration orders")
    func orderIndependence() {
        let a = Self.build(consumerFirst: false, capacity: 2, latency: 3, tokens: 20)
        let b = Self.build(consumerFirst: true, capacity: 2, latency: 3, tokens: 20)
        a.0.run(clocks: 200)
        b.0.run(clocks: 200)
        #expect(a.2.received.map(\.clock) == b.2.received.map(\.clock))
        #expect(a.2.received.map(\.token) == Array(0..<20))
        #expect(a.1.pushedAt == b.1.pushedAt)
    }

    @Test("a full channel stalls the producer until the consumer pops")
    func backPressure() {
        let (sim, producer, consumer, channel) = Self.build(consumerFirst: false, capacity: 2, latency: 1, tokens: 5)
        consumer.enabled = false
        sim.run(clocks: 10)
        #expect(producer.pushedAt == [0, 1], "two slots, then stalled")
        #expect(channel.count == 2)
        #expect(!channel.ready)
        // The producer was not left polling a full channel: it sleeps until space frees.
        let ticksWhileStalled = sim.ticks
        sim.run(clocks: 100)
        #expect(sim.ticks == ticksWhileStalled)
        consumer.enabled = true
        sim.wake(consumer, at: sim.now)
        sim.run(clocks: 20)
        #expect(consumer.received.map(\.token) == [0, 1, 2, 3, 4])
        #expect(producer.next == 5)
    }

    @Test("a pop frees its slot for the next clock, never the same one")
    func popThenPushSameClock() {
        for consumerFirst in [false, true] {
            let (sim, producer, consumer, _) = Self.build(consumerFirst: consumerFirst, capacity: 1, latency: 1, tokens: 3)
            sim.run(clocks: 20)
            // Push at 0, visible and popped at 1, slot free from 2: one token every 2 clocks.
            #expect(producer.pushedAt == [0, 2, 4])
            #expect(consumer.received.map(\.clock) == [1, 3, 5])
        }
    }

    @Test("discard takes the visible head as pop does, without handing it out")
    func discard() {
        let sim = Simulator()
        let channel = Channel<Int>(sim, path: "c", capacity: 2, latency: 1)
        channel.push(1)
        channel.push(2)
        sim.step()
        #expect(channel.peek == 1)
        channel.discard()
        #expect(channel.peek == nil, "taken; the second item (one per clock on the channel) shows from clock 2")
        sim.step()
        #expect(channel.count == 1 && channel.popped == 1 && channel.peek == 2)
        channel.discard()
        channel.discard()
        sim.step()
        #expect(channel.count == 0 && channel.popped == 2, "nothing more to take: the second discard does nothing")
    }

    @Test("bandwidth serialises items on the wire")
    func bandwidth() {
        let (sim, _, consumer, _) = Self.build(consumerFirst: false, capacity: 8, latency: 2, tokens: 3, bytesPerClock: 1)
        sim.run(clocks: 20)
        // 1-byte items at 1 byte/clock: one per clock on the wire, then 2 clocks of latency.
        #expect(consumer.received.map(\.clock) == [2, 3, 4])
    }

    @Test("idle components are not visited, and idle stretches are skipped")
    func idleCostsNothing() {
        let (sim, _, consumer, _) = Self.build(consumerFirst: false, latency: 5, tokens: 1)
        sim.run(clocks: 1_000_000)
        #expect(consumer.received.map(\.clock) == [5])
        #expect(sim.ticks == 2, "one producer tick, one consumer tick")
        #expect(sim.now == 1_000_000)
    }

    @Test("with a clock hook, the quiet stretches go to onQuietClocks: every clock seen once, the busy ones stepped, the quiet ones not")
    func quietClocks() {
        let (sim, _, consumer, _) = Self.build(consumerFirst: false, latency: 50, tokens: 3)
        var stepped: [UInt64] = [], quiet: [Range<UInt64>] = []
        sim.onClock = { stepped.append($0) }
        sim.onQuietClocks = { quiet.append($0) }
        sim.run(clocks: 1_000)
        #expect(consumer.received.map(\.clock) == [50, 51, 52])
        // Pushes at 0, 1, 2 and pops at 50, 51, 52 are the only clocks stepped.
        #expect(stepped == [0, 1, 2, 50, 51, 52])
        #expect(quiet == [3..<50, 53..<1_000])
        #expect(sim.now == 1_000)
        // Without the quiet hook, a clock hook sees every clock stepped.
        let (plain, _, _, _) = Self.build(consumerFirst: false, latency: 50, tokens: 3)
        var all = 0
        plain.onClock = { _ in all += 1 }
        plain.run(clocks: 1_000)
        #expect(all == 1_000)
    }

    @Test("probes register once at elaboration and sample on demand")
    func probes() {
        let (sim, producer, _, _) = Self.build(consumerFirst: false, tokens: 3)
        sim.probe("top.producer.next", width: 8) { UInt64(producer.next) }
        sim.elaborate()
        var samples: [UInt64] = []
        sim.run(clocks: 4) { _ in samples.append(sim.probes.probes[0].sample()) }
        #expect(samples == [1, 2, 3, 3])
        #expect(sim.probes.matching(["top.prod*"]).count == 1)
        #expect(sim.probes.matching(["nic.*"]).isEmpty)
        #expect(Glob.matches("nic.pf?.vf*", "nic.pf0.vf12"))
        #expect(!Glob.matches("nic.pf?.vf*", "nic.pf10.vf1"))
        #expect(Hierarchy.path("nic", "pf0", "vf5") == "nic.pf0.vf5")
        #expect(Hierarchy.scopes(of: "nic.pf0.vf5").map(String.init) == ["nic", "pf0"])
    }

    /// Pushes its `tokens` with `rank` in the clocks given.
    final class RankedProducer: Component {
        let path: String
        let rank: Int
        var channel: Channel<Int>!
        var plan: [UInt64: [Int]] = [:]
        init(path: String, rank: Int) {
            self.path = path
            self.rank = rank
        }
        func tick(_ simulator: Simulator) {
            for token in plan[simulator.now] ?? [] { channel.push(token, rank: rank) }
        }
    }

    @Test("two producers sharing a channel: a clock's pushes leave in rank order, one a clock, in either tick order", arguments: [Simulator.TickOrder.declaration, .reversed])
    func rankedPushes(order: Simulator.TickOrder) {
        let sim = Simulator(seed: 1)
        sim.tickOrder = order
        let low = RankedProducer(path: "top.wire", rank: 0), high = RankedProducer(path: "top.loop", rank: 1)
        let consumer = Consumer(path: "top.consumer")
        // The lower rank is declared last: in declaration order it pushes second.
        sim.add(high)
        sim.add(low)
        sim.add(consumer)
        let channel = Channel<Int>(sim, path: "top.rxpb", capacity: 64, latency: 1)
        channel.consumer = consumer
        low.channel = channel
        high.channel = channel
        consumer.channel = channel
        high.plan = [0: [100, 101], 5: [102]]
        low.plan = [0: [1, 2], 5: [3], 6: [4]]
        for clock: UInt64 in [0, 5, 6] {
            sim.wake(high, at: clock)
            sim.wake(low, at: clock)
        }
        sim.run(clocks: 20)
        #expect(consumer.received.map(\.token) == [1, 2, 100, 101, 3, 102, 4])
        #expect(consumer.received.map(\.clock) == [1, 2, 3, 4, 6, 7, 8], "one a clock, as unranked pushes leave")
    }

    /// Notes the clock and its path in a shared log when it ticks, and wakes itself for `until`.
    final class Logger: Component {
        let path: String
        let log: (String) -> Void
        init(_ path: String, _ log: @escaping (String) -> Void) {
            self.path = path
            self.log = log
        }
        func tick(_ simulator: Simulator) { log("\(simulator.now) \(path)") }
    }

    @Test("a component added `last` ticks after every other in each clock, in either tick order",
          arguments: [Simulator.TickOrder.declaration, .reversed])
    func ticksLast(order: Simulator.TickOrder) {
        let sim = Simulator(seed: 1)
        sim.tickOrder = order
        var log: [String] = []
        // Declared first, yet last in each clock.
        let cpu = Logger("top.cpu") { log.append($0) }
        sim.add(cpu, last: true)
        let devices = ["top.rc", "top.nic"].map { name in Logger(name) { log.append($0) } }
        for d in devices { sim.add(d) }
        for clock: UInt64 in [3, 4] {
            sim.wake(cpu, at: clock)
            for d in devices { sim.wake(d, at: clock) }
        }
        sim.run(clocks: 10)
        #expect(log.count == 6)
        #expect(log[2] == "3 top.cpu" && log[5] == "4 top.cpu", "\(log)")
        #expect(Set(log[0..<2]) == ["3 top.rc", "3 top.nic"])
        #expect(sim.ticks == 6)
    }
}
