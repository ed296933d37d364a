// swift-tools-version: 6.2
// IOVSim: a cycle-level model of an SR-IOV Ethernet controller and its platform, and a Z3
// prover that runs on the same decision logic (DESIGN.md §1).
import PackageDescription

/// The simulator's modules run on one thread per simulator: in release builds the dynamic
/// exclusivity checks (a tenth of a loaded run's time, measured with perf) are left out; debug
/// builds, which the tests use, keep them.
let simulation: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "IOVSim",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RTL", targets: ["RTL"]),
        .library(name: "SMT", targets: ["SMT"]),
        .library(name: "PCIe", targets: ["PCIe"]),
        .library(name: "NIC", targets: ["NIC"]),
        .library(name: "Proofs", targets: ["Proofs"]),
        .library(name: "Trace", targets: ["Trace"]),
        .library(name: "IOVSimKit", targets: ["IOVSimKit"]),
        .executable(name: "iovsim", targets: ["iovsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),
    ],
    targets: [
        // libz3 through pkg-config; Debian: libz3-dev (the Makefile installs it when missing).
        .systemLibrary(name: "CZ3", pkgConfig: "z3", providers: [.apt(["libz3-dev"])]),
        // The bit-vector algebra and the clock kernel. Imports nothing.
        .target(name: "RTL", swiftSettings: simulation),
        // Z3 wrapper and the symbolic interpretation of the algebra.
        .target(name: "SMT", dependencies: ["CZ3", "RTL"]),
        // PCIe decision logic: generic over the algebra, never imports SMT.
        .target(name: "PCIe", dependencies: ["RTL"], swiftSettings: simulation),
        // The network controller: register maps, VF windows, L2 sorter and transmit switch
        // (generic over the algebra), MAC ports, queues and the DMA engine, MSI-X, the mailbox.
        // Never imports SMT.
        .target(name: "NIC", dependencies: ["RTL", "PCIe"], swiftSettings: simulation),
        // The host: memory as owned pages, the IOMMU (VT-d second-level translation, generic
        // over the algebra), the VMM and the drivers to come. Never imports SMT.
        .target(name: "Host", dependencies: ["RTL", "PCIe", "NIC"], swiftSettings: simulation),
        // Waveforms and logs: VCD writer, TLP log.
        .target(name: "Trace", dependencies: ["RTL", "PCIe"], swiftSettings: simulation),
        // The property suite: one file per property family.
        .target(name: "Proofs", dependencies: ["RTL", "SMT", "PCIe", "NIC", "Host"], path: "Proofs"),
        .target(name: "IOVSimKit", dependencies: ["RTL", "SMT", "PCIe", "NIC", "Host", "Proofs", "Trace"], swiftSettings: simulation),
        .executableTarget(
            name: "iovsim",
            dependencies: ["IOVSimKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Formulas restated from Linux for tests to compare against (not shipped).
        .target(name: "LinuxReference", path: "Tests/LinuxReference"),
        .testTarget(name: "RTLTests", dependencies: ["RTL"]),
        .testTarget(name: "SMTTests", dependencies: ["SMT", "RTL"]),
        .testTarget(name: "PCIeTests", dependencies: ["PCIe", "RTL", "LinuxReference"]),
        .testTarget(name: "ProofsTests", dependencies: ["Proofs", "PCIe", "SMT", "RTL", "LinuxReference"]),
        .testTarget(name: "TraceTests", dependencies: ["Trace", "RTL"]),
        .testTarget(name: "NICTests", dependencies: ["NIC", "RTL", "SMT", "Trace"]),
        .testTarget(name: "HostTests", dependencies: ["Host", "RTL", "SMT"]),
        .testTarget(name: "IOVSimKitTests", dependencies: ["IOVSimKit", "iovsim", "NIC", "Host", "Trace"]),
    ]
)
