import Foundation
import IOVSimKit
import Testing

/// Each kind of bad model file gives an error naming the file and the key path.
@Suite("Model-file errors")
struct ModelErrorTests {
    static let base = try! String(contentsOfFile: Repository.model("i82599.toml"), encoding: .utf8)

    /// The 82599 model with one edit; the edit must apply.
    static func error(replacing old: String, with new: String) throws -> ModelError {
        #expect(base.contains(old), "test edit does not apply: \(old)")
        let text = base.replacingOccurrences(of: old, with: new)
        do {
            _ = try ModelLoader.parse(text, file: "broken.toml")
        } catch let error as ModelError {
            #expect(error.file == "broken.toml")
            #expect(error.description.hasPrefix("broken.toml: "))
            return error
        }
        Issue.record("no error for \(new)")
        return ModelError(file: "", keyPath: "", message: "")
    }

    @Test("the shipped models load")
    func shippedModelsLoad() throws {
        for name in ["i82599.toml", "i82576.toml", "sriov-512vf.toml"] {
            let model = try ModelLoader.load(path: Repository.model(name))
            #expect(!model.device.pf.isEmpty)
        }
    }

    @Test("unknown key")
    func unknownKey() throws {
        let e = try Self.error(replacing: "initial_vfs = 64", with: "initial_vfs = 64\ninital_vfs = 64")
        #expect(e.keyPath == "device.pf[0].sriov.inital_vfs")
        #expect(e.message.contains("unknown key"))
    }

    @Test("wrong type")
    func wrongType() throws {
        let e = try Self.error(replacing: "total_vfs = 64", with: "total_vfs = \"sixty-four\"")
        #expect(e.keyPath == "device.pf[0].sriov.total_vfs")
        #expect(e.message.contains("expected an integer in 0...0xffff"))
    }

    @Test("value out of range")
    func outOfRange() throws {
        let e = try Self.error(replacing: "vendor_id = 0x8086", with: "vendor_id = 0x18086")
        #expect(e.keyPath == "device.pf[0].vendor_id")
        #expect(e.message.contains("out of range"))
        let msix = try Self.error(replacing: "table_size = 64", with: "table_size = 4096")
        #expect(msix.keyPath == "device.pf[0].msix.table_size")
    }

    @Test("InitialVFs > TotalVFs")
    func initialAboveTotal() throws {
        let e = try Self.error(replacing: "initial_vfs = 64", with: "initial_vfs = 65")
        #expect(e.keyPath == "device.pf[0].sriov.initial_vfs")
        #expect(e.message.contains("InitialVFs (65) exceeds TotalVFs (64)"))
    }

    @Test("capability outside config space")
    func capabilityOutside() throws {
        let e = try Self.error(replacing: "msi = { offset = 0x50 }", with: "msi = { offset = 0xf0 }")
        #expect(e.keyPath == "device.pf[0].msi.offset")
        #expect(e.message.contains("run past 0xff"))
        let ext = try Self.error(replacing: "offset = 0x160", with: "offset = 0x1000")
        #expect(ext.keyPath == "device.pf[0].sriov.offset")
    }

    @Test("overlapping capabilities")
    func overlapping() throws {
        let e = try Self.error(replacing: "dsn = { offset = 0x140,", with: "dsn = { offset = 0x128,")
        #expect(e.keyPath == "device.pf[0].dsn.offset")
        #expect(e.message.contains("overlaps AER at 0x100"))
    }

    @Test("BAR size that is not a power of two")
    func barSize() throws {
        let e = try Self.error(replacing: "{ index = 4, type = \"mem64\", size = 0x4000 }", with: "{ index = 4, type = \"mem64\", size = 0x5000 }")
        #expect(e.keyPath == "device.pf[0].bar[2].size")
        #expect(e.message.contains("not a power of two"))
        let vf = try Self.error(replacing: "{ index = 3, type = \"mem64\", prefetchable = true, size = 0x4000 }",
                                with: "{ index = 3, type = \"mem64\", prefetchable = true, size = 0x3000 }")
        #expect(vf.keyPath == "device.pf[0].sriov.vf_bar[1].size")
    }

    @Test("missing key, bad enum value, TOML syntax, unreadable file")
    func others() throws {
        let missing = try Self.error(replacing: "vf_device_id = 0x10ed\n", with: "")
        #expect(missing.keyPath == "device.pf[0].sriov.vf_device_id")
        #expect(missing.message.contains("required key is missing"))
        let kind = try Self.error(replacing: "{ index = 2, type = \"io\", size = 0x20 }", with: "{ index = 2, type = \"mem128\", size = 0x20 }")
        #expect(kind.keyPath == "device.pf[0].bar[1].type")
        let syntax = try Self.error(replacing: "revision = 0x01", with: "revision = ")
        #expect(syntax.message.contains("line"))
        #expect(throws: ModelError.self) { try ModelLoader.load(path: "/nonexistent/model.toml") }
        let routing = try Self.error(replacing: "  { ari = false, first_vf_offset = 0x180, vf_stride = 2 },\n", with: "")
        #expect(routing.keyPath == "device.pf[0].sriov.routing")
        #expect(routing.message.contains("ARI Capable Hierarchy clear"))
    }

    @Test("platform errors: unknown device below a port, a loop of switches, bad VM function names")
    func platform() throws {
        let platform = """

            [platform]
            [[platform.root_port]]
            name = "rp0"
            below = "nic0"
            [[platform.device]]
            name = "nic0"
            """
        func error(_ extra: String, replacing old: String = "", with new: String = "") throws -> ModelError {
            let text = (Self.base + platform + extra).replacingOccurrences(of: old.isEmpty ? "\u{0}" : old, with: new)
            do {
                _ = try ModelLoader.parse(text, file: "p.toml")
            } catch let error as ModelError {
                return error
            }
            Issue.record("no error")
            return ModelError(file: "", keyPath: "", message: "")
        }
        let missing = try error("", replacing: "below = \"nic0\"", with: "below = \"nic9\"")
        #expect(missing.message.contains("'nic9' below it, which is no switch or device"))
        let loop = try error("""

            [[platform.switch]]
            name = "swA"
            port = [{ name = "a0", below = "swB" }]
            [[platform.switch]]
            name = "swB"
            port = [{ name = "b0", below = "swA" }]
            """)
        #expect(loop.message.contains("not below any root port"))
        let vm = try error("""

            [[vm]]
            name = "vm3"
            functions = ["nic0.pf0.vf64"]
            """)
        #expect(vm.keyPath == "vm[2].functions[0]")
        let latency = try error("", replacing: "name = \"rp0\"", with: "name = \"rp0\"\nlink = { latency = 0 }")
        #expect(latency.keyPath == "platform.root_port[0].link.latency")
    }

    @Test("iovsim lspci reports a bad model with the key and the model-error status 65, never 1")
    func commandLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).toml").path
        try Self.base.replacingOccurrences(of: "initial_vfs = 64", with: "initial_vfs = 65").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try IOVSimBinary.run(["lspci", path])
        #expect(r.status == ToolStatus.modelError.rawValue)
        #expect(r.stderr.contains("\(path): device.pf[0].sriov.initial_vfs: InitialVFs (65) exceeds TotalVFs (64)"))
    }
}

/// The NIC part of the schema: each bad value names its key.
@Suite("Model-file errors: NIC")
struct NICModelErrorTests {
    @Test("register map family, port speed, table sizes stated wrong, generator port and mix", arguments: [
        ("registers = \"82599\"", "registers = \"82598\"", "device.nic.registers", "expected one of: 82576, 82599"),
        ("port_speed_gbps = 10", "port_speed_gbps = 25", "device.nic.port_speed_gbps", "1 or 10"),
        ("receive_addresses = 128", "receive_addresses = 256", "device.nic.receive_addresses", "the 82599 has 128, not 256"),
        ("sorter_latency = 4", "sorter_latency = 0", "device.nic.sorter_latency", "1...1000"),
        ("tx_packet_buffer = 0x28000", "tx_packet_buffer = 32", "device.nic.tx_packet_buffer", "64 bytes ... 16 MiB"),
        ("port = \"nic0.port0\"", "port = \"nic0.port1\"", "generator[0].port", "DEVICE.portN with N below 1"),
        ("port = \"nic0.port0\"", "port = \"nic9.port0\"", "generator[0].port", "is not a port"),
        ("frames = 1000", "frames = -1", "generator[0].frames", "0...10000000"),
        ("mix = { unicast = 70, unknown_unicast = 5, broadcast = 10, multicast = 5, vlan = 5, runt = 2, oversize = 3 }", "mix = { unicast = 0 }",
         "generator[0].mix", "every weight is 0"),
        ("mix = { unicast = 70", "mix = { unicats = 70", "generator[0].mix.unicats", "unknown key"),
    ] as [(String, String, String, String)])
    func nicKeys(_ edit: (String, String, String, String)) throws {
        let text = ModelErrorTests.base
        #expect(text.contains(edit.0), "test edit does not apply: \(edit.0)")
        do {
            _ = try ModelLoader.parse(text.replacingOccurrences(of: edit.0, with: edit.1), file: "broken.toml")
            Issue.record("no error for \(edit.1)")
        } catch let error as ModelError {
            #expect(error.keyPath == edit.2, "\(error)")
            #expect(error.message.contains(edit.3), "\(error)")
        }
    }

    @Test("a generator without a NIC is a model error, not a silent no-op")
    func generatorWithoutNIC() throws {
        let text = ModelErrorTests.base.replacingOccurrences(of: "[device.nic]\nregisters = \"82599\"\nport_speed_gbps = 10\nsorter_latency = 4\nrx_packet_buffer = 0x80000\ntx_packet_buffer = 0x28000\npools = 64\nreceive_addresses = 128\nvlan_filters = 64\n", with: "")
        #expect(throws: ModelError.self) { _ = try ModelLoader.parse(text, file: "broken.toml") }
    }
}

/// `--pcap-in` inputs that are not what they should be.
@Suite("run: bad pcap inputs", .serialized)
struct PcapInputErrorTests {
    @Test("a file that is not a pcap: exit 66 naming the file; a target that is no port or function: exit 64; a model without a NIC: exit 64")
    func badInputs() throws {
        let binary = try #require(IOVSimBinary.url).path
        let notPcap = temporaryPath("notes.pcap")
        try "hello\n".write(toFile: notPcap, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: notPcap) }
        let bad = try runProgram(binary, ["run", Repository.model("i82576.toml"), "--cycles", "100", "--quiet", "--pcap-in", notPcap])
        #expect(bad.status == 66 && bad.stderr.contains(notPcap), "\(bad)")
        let target = try runProgram(binary, ["run", Repository.model("i82576.toml"), "--cycles", "100", "--quiet", "--pcap-in", "\(notPcap)@nic0.port7"])
        #expect(target.status == 64 && target.stderr.contains("nic0.port7"), "\(target)")
        let noNIC = try runProgram(binary, ["run", Repository.model("sriov-512vf.toml"), "--cycles", "100", "--quiet", "--pcap-out", temporaryPath("p")])
        #expect(noNIC.status == 64 && noNIC.stderr.contains("no NIC"), "\(noNIC)")
    }
}
