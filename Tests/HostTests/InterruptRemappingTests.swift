import Host
import RTL
import Testing

/// Interrupt remapping on its own: what each IRTE and request gives, and each fault reason.
@Suite("Interrupt remapping")
struct InterruptRemappingTests {
    typealias Reason = InterruptRemapping.Reason

    /// An IOMMU with interrupt remapping on: 16 entries at 0x10_0000; entry 3 is vector 0x30 to
    /// destination 2 for requester 01:10.0 (0x0180).
    static func iommu() -> IOMMU {
        let memory = HostMemory(size: 1 << 24)
        let iommu = IOMMU(memory: memory)
        iommu.interruptTable = 0x10_0000
        iommu.interruptTableSize = 3
        iommu.interruptRemappingEnabled = true
        let e = InterruptRemapping.entry(vector: 0x30, destination: 2, sourceID: 0x0180)
        memory.write64(0x10_0000 + 16 * 3, e.low)
        memory.write64(0x10_0000 + 16 * 3 + 8, e.high)
        return iommu
    }

    @Test("a remappable request for a valid entry from the right requester: the entry's vector and destination; SHV adds the subhandle; SQ masks function bits; SVT 10 checks the bus range")
    func delivered() {
        let iommu = Self.iommu()
        let address = InterruptRemapping.messageAddress(handle: 3)
        #expect(iommu.remapInterrupt(requester: 0x0180, address: address, data: 0, clock: 1).map { [UInt64($0.vector), UInt64($0.destination)] } == [0x30, 2])
        // Handle 1 + subhandle 2 (SHV) is entry 3 too.
        #expect(iommu.remapInterrupt(requester: 0x0180, address: InterruptRemapping.messageAddress(handle: 1) | 1 << 3, data: 2, clock: 2)?.vector == 0x30)
        // SQ 11 ignores function bits 2:0: 01:10.3 passes; SVT 10: buses 1...2 pass, bus 3 does not.
        let memory = iommu.memory
        var e = InterruptRemapping.entry(vector: 0x31, destination: 2, sourceID: 0x0180, validation: 1, qualifier: 3)
        memory.write64(0x10_0000 + 16 * 4, e.low)
        memory.write64(0x10_0000 + 16 * 4 + 8, e.high)
        #expect(iommu.remapInterrupt(requester: 0x0183, address: InterruptRemapping.messageAddress(handle: 4), data: 0, clock: 3)?.vector == 0x31)
        e = InterruptRemapping.entry(vector: 0x32, destination: 2, sourceID: 0x0102, validation: 2)
        memory.write64(0x10_0000 + 16 * 5, e.low)
        memory.write64(0x10_0000 + 16 * 5 + 8, e.high)
        #expect(iommu.remapInterrupt(requester: 0x0280, address: InterruptRemapping.messageAddress(handle: 5), data: 0, clock: 4)?.vector == 0x32)
        #expect(iommu.remapInterrupt(requester: 0x0380, address: InterruptRemapping.messageAddress(handle: 5), data: 0, clock: 5) == nil)
        #expect(iommu.faults.count == 1 && iommu.faults[0].interruptReason == .invalidSourceID)
    }

    @Test("each interrupt-remapping fault reason blocks the request and is recorded with the source-id and the index",
          arguments: [Reason.indexBeyondTable, .entryNotPresent, .tableAccess, .reservedInEntry, .compatibilityFormat, .invalidSourceID])
    func faults(_ reason: Reason) throws {
        let iommu = Self.iommu()
        var handle: UInt16 = 3, requester: UInt16 = 0x0180
        var address: UInt64 { InterruptRemapping.messageAddress(handle: handle) }
        var request = address
        switch reason {
        case .indexBeyondTable: handle = 16
        case .entryNotPresent: handle = 7
        case .tableAccess: iommu.interruptTable = 0x2_0000_0000
        case .reservedInEntry: iommu.memory.write64(0x10_0000 + 16 * 3, iommu.memory.read64(0x10_0000 + 16 * 3) | 1 << 15)
        case .compatibilityFormat: break
        case .invalidSourceID: requester = 0x0182
        default: return
        }
        request = reason == .compatibilityFormat ? 0xFEE0_1000 : address
        #expect(iommu.remapInterrupt(requester: requester, address: request, data: 0, clock: 9) == nil)
        let fault = try #require(iommu.faults.last)
        #expect(fault.interruptReason == reason && fault.sourceID == requester && fault.isWrite, "\(fault)")
        if reason != .compatibilityFormat { #expect(fault.address >> 48 == UInt64(handle)) }
        #expect(FaultRecord(register: fault.register.low, fault.register.high, clock: 9) == fault)
    }
}
