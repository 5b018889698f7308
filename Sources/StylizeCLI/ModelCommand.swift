import ArgumentParser
import Foundation
import StyleTransfer

extension Convention: ExpressibleByArgument {}

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Import and inspect VGG model files.",
        subcommands: [Import.self, Info.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a VGG16/VGG19 conv stack from ONNX or safetensors into Stylize's model file.")

        @Argument(help: "An .onnx graph (tf2onnx/Keras or ONNX model zoo VGG16/VGG19) or a .safetensors export (features.N.weight keys).")
        var input: String

        @Option(name: .shortAndLong, help: "Output .safetensors file.")
        var output: String

        @Option(help: "Input convention: caffe (BGR, 0-255, mean) or torch (RGB, 0-1, mean/std). Default: from the producer (tf2onnx/Keras: caffe, otherwise torch).")
        var convention: Convention?

        mutating func run() throws {
            try reportingErrors {
                guard let data = FileManager.default.contents(atPath: input) else { throw CLIError("\(input): cannot read the file") }
                let bytes = [UInt8](data)
                let name = URL(fileURLWithPath: input).lastPathComponent
                let weights: ModelWeights
                do {
                    // safetensors begins with a little-endian header length, then '{'.
                    if bytes.count > 8 && bytes[8] == UInt8(ascii: "{") {
                        weights = try ModelWeights(safetensors: bytes, convention: convention)
                    } else {
                        weights = try ONNXImport.importVGG(bytes, convention: convention, source: name)
                    }
                } catch {
                    throw CLIError("\(input): \(error)")
                }
                try checkWrittenPaths([output], inputs: [input], image: false)
                try writeAtomically(Data(try weights.safetensors()), to: output)
                print("imported \(weights.topology.rawValue) (\(weights.convs.count) convolutions, \(weights.convention.rawValue) convention) from \(input) to \(output)")
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe a model file (default: the one Stylize would use).")

        @Argument(help: "Model file; default: $STYLIZE_MODEL, then the installed one.")
        var file: String?

        mutating func run() throws {
            try reportingErrors {
                let (weights, path, foundBy) = try ModelLocator.load(file)
                let parameters = weights.convs.reduce(0) { $0 + $1.weight.count + $1.bias.count }
                print("file:        \(path) (\(file == nil ? foundBy : "argument"))")
                print("topology:    \(weights.topology.rawValue), \(weights.convs.count) convolutions, \(parameters) parameters")
                print("convention:  \(weights.convention.rawValue)")
                print("source:      \(weights.source)")
                print("layers:      \(FeatureNetwork(weights: weights).layerNames.joined(separator: " "))")
                for c in weights.convs {
                    print("  \(c.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(c.outChannels)x\(c.inChannels)x3x3")
                }
            }
        }
    }
}
