// swift-tools-version:6.0
import PackageDescription

// Engine (StyleTransfer) knows nothing of files or hosts; Stylize is the C ABI
// (libstylize.so); StylizeCLI is the `stylize` tool. The vips and GIMP adapters
// under Plugins/ are built by install.sh against the installed libstylize.so.
let package = Package(
    name: "Stylize",
    products: [
        .executable(name: "stylize", targets: ["StylizeCLI"]),
        // libStylizeC.so; Sources/Stylize/build-lib.sh links it as libstylize.so.1
        // (the name `stylize` is the executable's).
        .library(name: "StylizeC", type: .dynamic, targets: ["Stylize"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "COpenBLAS",
            cSettings: [.unsafeFlags(["-I/usr/include/x86_64-linux-gnu/openblas-pthread"])],
            linkerSettings: [.linkedLibrary("openblas")]
        ),
        .target(
            // The engine's hot loops in C, one copy per instruction set (AVX-512, AVX2, baseline),
            // chosen at run time; Swift alone compiles for the baseline only.
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]
        ),
        .target(
            name: "StyleTransfer",
            dependencies: ["COpenBLAS", "CKernels"],
            // Swift 5 mode: the engine's parallel loops share raw buffers across threads by design.
            swiftSettings: [.unsafeFlags(["-Ounchecked", "-wmo"]), .swiftLanguageMode(.v5)]
        ),
        .target(
            name: "CVipsShim",
            cSettings: [.unsafeFlags(["-I/usr/include/glib-2.0", "-I/usr/lib/x86_64-linux-gnu/glib-2.0/include"])],
            linkerSettings: [.linkedLibrary("vips"), .linkedLibrary("gobject-2.0"), .linkedLibrary("glib-2.0")]
        ),
        .target(
            // Optical flow for `stylize video`: OpenCV's DIS flow and remap (Debian's
            // libopencv-video-dev) behind an extern "C" wrapper.
            name: "CFlow",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-O2"])],
            linkerSettings: [.linkedLibrary("opencv_video"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_core")]
        ),
        .target(
            // Finding and reading the model file, shared by the C ABI and the CLI.
            name: "ModelStore",
            dependencies: ["StyleTransfer"]
        ),
        .target(
            name: "Stylize",
            dependencies: ["StyleTransfer", "ModelStore"],
            exclude: ["CHeader", "stylize.pc.in", "build-lib.sh", "stylize.map"],
            // The C declarations of include/stylize.h, imported as module StylizeCHeader.
            swiftSettings: [.unsafeFlags(["-I", Context.packageDirectory + "/Sources/Stylize/CHeader"])]
        ),
        .executableTarget(
            name: "StylizeCLI",
            dependencies: [
                "StyleTransfer", "ModelStore", "CVipsShim", "COpenBLAS", "CFlow",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "StyleTransferTests",
            dependencies: ["StyleTransfer"]
        ),
    ]
)
