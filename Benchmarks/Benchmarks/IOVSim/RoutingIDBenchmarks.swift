import Benchmark
import PCIe
import RTL

// The generic RID function (RoutingID.vf, the code the prover also runs) on the concrete
// interpretation against a hand-written UInt16 version of the same arithmetic. The issue's
// bar: the generic one within 1.5x of the hand-written one.

/// Hand-written reference: what a C programmer would write.
@inline(never)
func handWrittenRID(pf: UInt16, offset: UInt16, stride: UInt16, index: UInt16) -> UInt16 {
    pf &+ offset &+ index &* stride
}

@inline(never)
func genericRID(pf: UInt16, offset: UInt16, stride: UInt16, index: UInt16) -> UInt16 {
    UInt16(truncatingIfNeeded: RoutingID.vf(
        pf: Bits<Concrete, 16>(UInt64(pf)), firstVFOffset: Bits(UInt64(offset)),
        vfStride: Bits(UInt64(stride)), vfIndex: Bits(UInt64(index))).value)
}

/// All VFs of the 82599 layouts (offset 0x80 / 0x180, stride 2, 64 VFs) and a 256-VF layout,
/// folded into a checksum so nothing is optimised away.
let layouts: [(pf: UInt16, offset: UInt16, stride: UInt16, count: UInt16)] = [
    (0x0300, 0x80, 2, 64), (0x0300, 0x180, 2, 64), (0x0100, 0x100, 1, 256),
]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .instructions, .throughput], maxDuration: .seconds(2))
    vcdBenchmarks()
    simulationBenchmarks()
    pipelineBenchmarks()
    sorterBenchmarks()
    proofBenchmarks()
    idleAndTraceBenchmarks()

    Benchmark("RID hand-written UInt16 (384 VFs)") { benchmark in
        for _ in benchmark.scaledIterations {
            var sum: UInt16 = 0
            for layout in layouts {
                for index in 0..<layout.count {
                    sum ^= handWrittenRID(pf: layout.pf, offset: layout.offset, stride: layout.stride, index: index)
                }
            }
            blackHole(sum)
        }
    }

    Benchmark("RID generic Bits<Concrete,16> (384 VFs)") { benchmark in
        for _ in benchmark.scaledIterations {
            var sum: UInt16 = 0
            for layout in layouts {
                for index in 0..<layout.count {
                    sum ^= genericRID(pf: layout.pf, offset: layout.offset, stride: layout.stride, index: index)
                }
            }
            blackHole(sum)
        }
    }
}
