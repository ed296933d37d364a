// swift-tools-version: 6.2
// package-benchmark suites for IOVSim, kept in their own package so `make test` never builds
// the benchmark framework. Run with `make bench` from the repository root.
import Foundation
import PackageDescription

/// A path dependency's identity is its folder's name, which depends on where the repository was
/// cloned; read it instead of assuming it.
let iovsim = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "IOVSimBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "IOVSimBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RTL", package: iovsim),
                .product(name: "PCIe", package: iovsim),
                .product(name: "NIC", package: iovsim),
                .product(name: "Trace", package: iovsim),
                .product(name: "IOVSimKit", package: iovsim),
                .product(name: "SMT", package: iovsim),
            ],
            path: "Benchmarks/IOVSim",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
