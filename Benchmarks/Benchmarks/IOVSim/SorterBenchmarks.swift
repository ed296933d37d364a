import Benchmark
import NIC
import RTL

// The L2 sorter (the generic function the prover also runs) on the concrete interpretation,
// with 82599-sized tables: 128 receive addresses, 64 VLAN filters, 64 pools. Throughput is
// frames sorted per second of wall time.

func sorterBenchmarks() {
    var tables = FilterTables<Concrete>(pools: 64)
    tables.receiveAddresses = (0..<128).map { .init(address: Bits(0x02_00_00_00_00_00 | UInt64($0)), valid: 1, pools: Bits(1 << UInt64($0 % 64))) }
    tables.vlanFilters = (0..<64).map { .init(vlanID: Bits(100 + UInt64($0)), valid: 1, pools: Bits(1 << UInt64($0))) }
    tables.vlanFilterEnable = 1
    tables.acceptUntagged = Bits(~0)
    tables.acceptBroadcast = Bits(~0)
    var rng = DeterministicRNG(seed: 7)
    let frames = (0..<1_000).map { k -> FrameHeader<Concrete> in
        let destination = k % 10 == 0 ? 0xFFFF_FFFF_FFFF : 0x02_00_00_00_00_00 | rng.next() % 160
        return FrameHeader(destination: Bits(destination), source: 0x02_00_00_00_00_99, tagged: Bit(k % 2 == 0),
                           vlanID: Bits(100 + rng.next() % 64), length: 64)
    }
    Benchmark("L2 sorter, 82599-sized tables (1,000 frames)") { benchmark in
        for _ in benchmark.scaledIterations {
            var copies: UInt64 = 0
            for frame in frames { copies &+= UInt64(L2Sorter.receive(frame, tables).pools.value.nonzeroBitCount) }
            blackHole(copies)
        }
    }
}
