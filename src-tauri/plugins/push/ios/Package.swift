// swift-tools-version:5.7
// Built by Xcode through the app's generated project (src-tauri/gen/apple) on a Mac;
// `Tauri` is the Swift API that tauri-plugin's build script copies into ../.tauri/tauri-api.
import PackageDescription

let package = Package(
  name: "tauri-plugin-caliber-push",
  platforms: [.iOS(.v14)],
  products: [
    .library(name: "tauri-plugin-caliber-push", type: .static, targets: ["CaliberPush"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(name: "CaliberPush", dependencies: [.byName(name: "Tauri")], path: "Sources/CaliberPush")
  ]
)
