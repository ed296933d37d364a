import NIC
import PCIe

/// The model file schema (DESIGN.md §6), device part: what `Models/*.toml` may say. Keys are
/// snake_case in the file; every number may be written in hex (`0x10fb`). Optional tables and
/// keys are optional here; everything else is required.
public struct ModelFile: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var device: DeviceModel
    /// Omitted: one root port `rp0` with ARI Forwarding and ACS, device `nic0` below it.
    public var platform: PlatformModel?
    public var vm: [VMModel]?
    /// Seeded frame sources on the NIC's ports.
    public var generator: [GeneratorModel]?
    /// Frames the VMs send through their VFs (needs the host: the VMs' drivers send them).
    public var traffic: [TrafficModel]?
    /// The host above the root complex: its memory and the IOMMU (omitted: plain memory, no
    /// translation).
    public var host: HostModel?
    /// How `iovsim prove` takes the state (omitted: right after bring-up and the drivers).
    public var prove: ProveModel?

    /// The platform, or the default one.
    public var effectivePlatform: PlatformModel {
        platform ?? PlatformModel(clockMHz: nil, seed: nil, pageSize: nil, reserveVFBuses: nil,
                                  rootPort: [PortModel(name: "rp0", ariForwarding: true, acs: 0x1F, acsEnable: nil, link: nil, below: "nic0")],
                                  switch: nil, device: [DeviceInstanceModel(name: "nic0", vfs: nil)])
    }
}

/// The SR-IOV endpoint: its PFs in function-number order.
public struct DeviceModel: Codable, Sendable, Equatable {
    public var pf: [PFModel]
    /// The network controller behind the PFs; omitted: the PFs' BARs are empty.
    public var nic: NICModel?
}

/// The network controller (NIC part 1): its register map, one Ethernet port per PF at the
/// port speed, the sorter's pipeline and the receive packet buffer. The table sizes are the
/// register map's; stating them checks the model against the part.
public struct NICModel: Codable, Sendable, Equatable {
    /// "82576" (igb) or "82599" (ixgbe).
    public var registers: String
    /// 1 or 10 Gb/s.
    public var portSpeedGbps: Int
    /// Clocks from a frame's last bit to the sorter's decision (default 4).
    public var sorterLatency: Int?
    /// Bytes of the receive packet buffer per port, where sorted frames wait for their queue's
    /// descriptors (and, as minimum-size frames, the FIFO between the MAC and the sorter).
    public var rxPacketBuffer: Int?
    /// Bytes of the transmit packet buffer per port: frames fetched by Tx DMA and not yet on
    /// the wire (default 40 KiB).
    public var txPacketBuffer: Int?
    public var pools: Int?
    public var receiveAddresses: Int?
    public var vlanFilters: Int?
    /// MAC and VLAN anti-spoofing on the VFs, as the PF driver sets it (default true, Linux's
    /// default; `ip link set PF vf N spoofchk off` turns it off).
    public var spoofCheck: Bool?
    /// A device bug to model: ATS Invalidate Requests are neither applied to the ATC nor
    /// completed (default false).
    public var ignoresATSInvalidation: Bool?

    enum CodingKeys: String, CodingKey {
        case registers, portSpeedGbps = "port_speed_gbps", sorterLatency = "sorter_latency", rxPacketBuffer = "rx_packet_buffer"
        case txPacketBuffer = "tx_packet_buffer"
        case pools, receiveAddresses = "receive_addresses", vlanFilters = "vlan_filters", spoofCheck = "spoof_check"
        case ignoresATSInvalidation = "ignores_ats_invalidation"
    }
}

/// A seeded frame source on one port's wire: `frames` frames drawn from `mix` (weights),
/// back to back at `load` percent of the line rate, starting once the PF driver has set the
/// port up.
public struct GeneratorModel: Codable, Sendable, Equatable {
    /// `DEVICE.portN`, e.g. `nic0.port0`.
    public var port: String
    public var frames: Int
    public var seed: UInt64?
    /// Percent of the line rate, 1...100 (default 100).
    public var load: Int?
    public var mix: FrameMixModel?
    /// Every frame this many bytes, FCS included (64 ... the port's largest frame); default a
    /// mix of 64 to 1518. Runts and oversize frames keep their own sizes.
    public var size: Int?
}

/// `[prove]`: `at` is the clock whose state the proofs take, after the model's traffic (its
/// generators, the VMs' `[[traffic]]`, the VMM's events) ran to it: caches warm, mappings as the
/// VMM left them. `iovsim prove --at` overrides it.
public struct ProveModel: Codable, Sendable, Equatable {
    public var at: UInt64?
    /// The latest clock a proof may be taken at (4 s of simulated time at 250 MHz): a run to it
    /// ends in minutes, not years.
    public static let latest: UInt64 = 1_000_000_000
}

/// Frames one VM sends through one of its VFs, as its driver posts them: to a VF of another
/// VM on the same port (the NIC switches them inside, VM to VM) or to the wire, `frames`
/// frames of 64-1518 bytes (drawn from `seed`) at `load` percent of the port's line rate.
public struct TrafficModel: Codable, Sendable, Equatable {
    /// The sending VF, assigned to a VM (`nic0.pf0.vf0`).
    public var from: String
    /// A VF on the same port (`nic0.pf0.vf2`), or `wire`.
    public var to: String
    public var frames: Int
    /// Percent of the line rate, 1...100 (default 10).
    public var load: Int?
    public var seed: UInt64?
}

/// Weights of the generator's frame kinds (omitted: unicast only).
public struct FrameMixModel: Codable, Sendable, Equatable {
    /// To a MAC the PF driver put in the receive address table.
    public var unicast: Int?
    public var unknownUnicast: Int?
    public var broadcast: Int?
    /// To an IPv4 multicast group (01:00:5e:...).
    public var multicast: Int?
    /// Tagged unicast to a configured MAC (VLAN 1...4094).
    public var vlan: Int?
    /// Shorter than an Ethernet header: the MAC drops them.
    public var runt: Int?
    /// Longer than the port's frame size limit.
    public var oversize: Int?

    enum CodingKeys: String, CodingKey {
        case unicast, unknownUnicast = "unknown_unicast", broadcast, multicast, vlan, runt, oversize
    }
}

public struct PFModel: Codable, Sendable, Equatable {
    public var vendorID: UInt16
    public var deviceID: UInt16
    public var revision: UInt8
    /// 24-bit class code: base class, sub-class, programming interface (0x020000 = Ethernet).
    public var classCode: UInt32
    public var subsystemVendorID: UInt16
    public var subsystemID: UInt16
    public var interruptPin: UInt8?
    public var bar: [BARModel]?
    public var expansionROMSize: UInt64?
    public var queues: QueuesModel?

    public var powerManagement: OffsetModel?
    public var msi: OffsetModel?
    public var msix: MSIXModel?
    public var pcie: PCIeModel?
    public var aer: OffsetModel?
    public var dsn: DSNModel?
    public var ari: ARIModel?
    public var acs: ACSModel?
    public var ats: ATSModel?
    public var sriov: SRIOVModel?

    enum CodingKeys: String, CodingKey {
        case vendorID = "vendor_id", deviceID = "device_id", revision, classCode = "class"
        case subsystemVendorID = "subsystem_vendor_id", subsystemID = "subsystem_id", interruptPin = "interrupt_pin"
        case bar, expansionROMSize = "expansion_rom_size", queues
        case powerManagement = "power_management", msi, msix, pcie, aer, dsn, ari, acs, ats, sriov
    }
}

public struct BARModel: Codable, Sendable, Equatable {
    public var index: Int
    public var type: BARDefinition.Kind
    public var prefetchable: Bool?
    public var size: UInt64
}

public struct QueuesModel: Codable, Sendable, Equatable {
    public var rx: Int
    public var tx: Int
}

public struct OffsetModel: Codable, Sendable, Equatable {
    public var offset: Int
}

public struct MSIXModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var tableSize: Int
    public var tableBAR: Int
    public var tableOffset: UInt32
    public var pbaBAR: Int
    public var pbaOffset: UInt32

    enum CodingKeys: String, CodingKey {
        case offset, tableSize = "table_size", tableBAR = "table_bar", tableOffset = "table_offset"
        case pbaBAR = "pba_bar", pbaOffset = "pba_offset"
    }
}

public struct PCIeModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var flr: Bool?
    /// 1 = 2.5 GT/s, 2 = 5 GT/s, 3 = 8 GT/s.
    public var linkSpeed: UInt32
    public var linkWidth: UInt32
    /// Max_Payload_Size Supported in bytes (128 ... 4096).
    public var maxPayload: Int?

    enum CodingKeys: String, CodingKey {
        case offset, flr, linkSpeed = "link_speed", linkWidth = "link_width", maxPayload = "max_payload"
    }
}

public struct DSNModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var serialNumber: UInt64
    enum CodingKeys: String, CodingKey { case offset, serialNumber = "serial_number" }
}

public struct ARIModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var nextFunction: UInt8
    enum CodingKeys: String, CodingKey { case offset, nextFunction = "next_function" }
}

public struct ACSModel: Codable, Sendable, Equatable {
    public var offset: Int
    /// ACS Capability bits 6:0 (SV, TB, RR, CR, UF, EC, DT).
    public var capabilities: UInt16
}

public struct ATSModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var invalidateQueueDepth: UInt8
    public var pageAlignedRequest: Bool
    enum CodingKeys: String, CodingKey {
        case offset, invalidateQueueDepth = "invalidate_queue_depth", pageAlignedRequest = "page_aligned_request"
    }
}

public struct SRIOVModel: Codable, Sendable, Equatable {
    public var offset: Int
    public var initialVFs: UInt16
    public var totalVFs: UInt16
    public var functionDependencyLink: UInt8?
    public var vfDeviceID: UInt16
    public var supportedPageSizes: UInt32
    public var vfMigration: Bool?
    /// First VF Offset and VF Stride by ARI Capable Hierarchy and NumVFs.
    public var routing: [RoutingModel]
    public var vfBAR: [BARModel]
    public var vf: VFModel

    enum CodingKeys: String, CodingKey {
        case offset, initialVFs = "initial_vfs", totalVFs = "total_vfs", functionDependencyLink = "function_dependency_link"
        case vfDeviceID = "vf_device_id", supportedPageSizes = "supported_page_sizes", vfMigration = "vf_migration"
        case routing, vfBAR = "vf_bar", vf
    }
}

public struct RoutingModel: Codable, Sendable, Equatable {
    /// Omitted: either setting.
    public var ari: Bool?
    /// `[low, high]` NumVFs values; omitted: all.
    public var numVFs: [UInt16]?
    public var firstVFOffset: UInt16
    public var vfStride: UInt16
    enum CodingKeys: String, CodingKey {
        case ari, numVFs = "num_vfs", firstVFOffset = "first_vf_offset", vfStride = "vf_stride"
    }
}

/// What each VF has in its own config space.
public struct VFModel: Codable, Sendable, Equatable {
    public var msix: MSIXModel?
    public var pcie: PCIeModel?
    public var aer: OffsetModel?
    public var ari: ARIModel?
    public var ats: ATSModel?
}

/// The platform part of the schema: the clock, the seed, firmware policy, root ports,
/// switches, and which device instance sits below which port.
public struct PlatformModel: Codable, Sendable, Equatable {
    public var clockMHz: Int?
    public var seed: UInt64?
    /// Host page size for System Page Size (Linux PAGE_SIZE): 4096 unless set.
    public var pageSize: UInt64?
    /// Whether firmware reserves the bus numbers VFs need (default true, as Linux does).
    public var reserveVFBuses: Bool?
    public var rootPort: [PortModel]
    public var `switch`: [SwitchModel]?
    public var device: [DeviceInstanceModel]

    enum CodingKeys: String, CodingKey {
        case clockMHz = "clock_mhz", seed, pageSize = "page_size", reserveVFBuses = "reserve_vf_buses"
        case rootPort = "root_port", `switch`, device
    }
}

/// The host: its memory and the VT-d remapping hardware in the root complex. The VMM gives
/// each VM its memory and a domain, assigns the VM's functions to it and turns translation on
/// after bring-up.
public struct HostModel: Codable, Sendable, Equatable {
    /// Default true: the table's presence turns the IOMMU on.
    public var iommu: Bool?
    /// Host memory in MiB (default 4096).
    public var memoryMB: Int?
    /// IOTLB entries and ways (default 64, 4).
    public var iotlbEntries: Int?
    public var iotlbWays: Int?
    /// Fault recording registers (default 8).
    public var faultRecords: Int?

    enum CodingKeys: String, CodingKey {
        case iommu, memoryMB = "memory_mb", iotlbEntries = "iotlb_entries", iotlbWays = "iotlb_ways", faultRecords = "fault_records"
    }
}

/// A root port or a switch downstream port, and what is below it.
public struct PortModel: Codable, Sendable, Equatable {
    public var name: String
    /// Device Capabilities 2: ARI Forwarding Supported (default true).
    public var ariForwarding: Bool?
    /// ACS Capability bits (SV 0x01, TB 0x02, RR 0x04, CR 0x08, UF 0x10, EC 0x20, DT 0x40);
    /// omitted: no ACS capability.
    public var acs: UInt16?
    /// ACS Control firmware sets; omitted: what Linux enables, SV | RR | CR | UF where
    /// implemented.
    public var acsEnable: UInt16?
    public var link: LinkModel?
    /// Name of the switch or device instance below.
    public var below: String

    enum CodingKeys: String, CodingKey {
        case name, ariForwarding = "ari_forwarding", acs, acsEnable = "acs_enable", link, below
    }
}

public struct LinkModel: Codable, Sendable, Equatable {
    /// Clocks from one end to the other.
    public var latency: Int
    /// Bandwidth; omitted: one TLP per clock.
    public var bytesPerClock: Int?
    enum CodingKeys: String, CodingKey { case latency, bytesPerClock = "bytes_per_clock" }
}

public struct SwitchModel: Codable, Sendable, Equatable {
    public var name: String
    public var port: [PortModel]
}

/// One instance of the model's device.
public struct DeviceInstanceModel: Codable, Sendable, Equatable {
    public var name: String
    /// NumVFs SR-PCIM enables on each PF (default TotalVFs).
    public var vfs: UInt16?
}

/// A VM and the functions assigned to it, as `device.pfN` or `device.pfN.vfM`.
public struct VMModel: Codable, Sendable, Equatable {
    public var name: String
    public var functions: [String]
    /// Guest memory in MiB (default 64), backed by host pages when the platform has an IOMMU.
    public var memoryMB: Int?
    /// A VMM bug to model: guest pages of this VM that the VMM maps onto pages of another VM.
    public var mapForeign: [ForeignPageModel]?
    /// What the VMM does to this VM's mappings during the run.
    public var events: [VMMEventModel]?
    /// How the VMM's interrupt remapping entries for this VM's functions validate the requester:
    /// "requester" (the default), "bus", or "none" (a VMM bug: any device may use the entries).
    public var sourceValidation: String?
    /// MACs the administrator gives the VM's VFs (`ip link set PF vf N mac ...`), instead of
    /// IOVSim's 02:00:DD:PP:00:VV.
    public var mac: [VFMACModel]?
    /// The VMM enables ATS on the VM's functions that have the capability (intel-iommu with
    /// device-TLB support: context entries with Translation Type 01, ATS Control Enable set);
    /// every unmap then also invalidates their ATCs. Default false.
    public var ats: Bool?
    /// What the VM does with the frames it receives: "none" (the default: it keeps them) or
    /// "macswap" (each goes back out of the VF it came in on, destination and source swapped,
    /// as testpmd's macswap forwarding mode does: the usual SR-IOV throughput guest).
    public var forward: String?

    public static let forwardModes = ["none", "macswap"]

    enum CodingKeys: String, CodingKey {
        case name, functions, memoryMB = "memory_mb", mapForeign = "map_foreign", events, sourceValidation = "source_validation", mac, ats, forward
    }
}

/// One VF's MAC as the administrator sets it: `function` (one of the VM's VFs), `address`
/// (six hex octets, unicast).
public struct VFMACModel: Codable, Sendable, Equatable {
    public var function: String
    public var address: String
}

/// A VMM action at a clock of the run: guest page `unmap` leaves the VM's IOMMU domain (its
/// host page goes back to the free pool, as a balloon or a hot-unplug gives it back), then the
/// IOTLB is invalidated as `invalidate` says: "page" (page-selective, the default), "domain",
/// "global", or "none" (a VMM that forgets: the IOTLB may keep the old translation).
public struct VMMEventModel: Codable, Sendable, Equatable {
    public var clock: UInt64
    public var unmap: Int
    public var invalidate: String?

    public static let invalidations = ["page", "domain", "global", "none"]
}

/// One page a buggy VMM maps wrongly: this VM's guest page `guest_page` onto guest page
/// `page` of VM `vm` (that VM's host page).
public struct ForeignPageModel: Codable, Sendable, Equatable {
    public var guestPage: Int
    public var vm: String
    public var page: Int

    enum CodingKeys: String, CodingKey {
        case guestPage = "guest_page", vm, page
    }
}

extension FrameMixModel {
    /// The weight of a kind (omitted: 0).
    func weight(_ kind: FrameGenerator.Kind) -> Int {
        switch kind {
        case .unicast: unicast ?? 0
        case .unknownUnicast: unknownUnicast ?? 0
        case .broadcast: broadcast ?? 0
        case .multicast: multicast ?? 0
        case .vlan: vlan ?? 0
        case .runt: runt ?? 0
        case .oversize: oversize ?? 0
        }
    }
}
