import ArgumentParser
import Foundation
import Gateway
import Registry
import ServiceRuntime

/// `cctv-out secrets rotate`: a new key for the secrets kept at rest (camera stream credentials,
/// second-factor keys). Adds the new key, re-seals every value with it, then drops the old one;
/// running services pick the new key up from the file by themselves.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "The key that encrypts stored secrets ({data-dir}/secrets.key).",
        subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the key and re-encrypt every stored secret with the new one.")
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let runtime = try settings.resolve().runtime
            let dataDir = runtime.dataDir
            // The registry's credentials are in the shared PostgreSQL when one is set (every registry
            // machine holds a copy of the key file: copy the rotated one to the others afterwards).
            let registryStored = runtime.database != nil || FileManager.default.fileExists(atPath: "\(dataDir)/registry.sqlite")
            DataFolder.restrictNewFiles()
            let box = try SecretBox(dataDir: dataDir)
            let id = try box.beginRotation()
            var resealed = 0
            // Twice: a value a running service sealed with the old key between the passes is caught.
            for _ in 0..<2 {
                if registryStored { resealed += try CameraStore(location: runtime.databaseLocation, secretsDir: dataDir).resealCredentials() }
                if FileManager.default.fileExists(atPath: "\(dataDir)/accounts.sqlite") { resealed += try AccountStore(dataDir: dataDir, bcryptCost: 4).resealSecondFactors() }
            }
            try box.finishRotation()
            print("new key \(id) in \(box.path); \(resealed) stored secret(s) re-encrypted, the old key removed")
        }
    }
}
