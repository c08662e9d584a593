// The plugin's Android library module. `cargo tauri android build` (tauri-build) includes it
// in the generated project (src-tauri/gen/android) next to Tauri's own `:tauri-android`,
// which tauri-plugin's build script copies into `.tauri/tauri-api`.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "app.caliber.push"
    compileSdk = 35

    defaultConfig {
        // The app's own floor (tauri.conf.json bundle.android.minSdkVersion).
        minSdk = 24
        consumerProguardFiles("proguard-rules.pro")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
}

dependencies {
    implementation(project(":tauri-android"))
    implementation("androidx.core:core-ktx:1.13.1")
    // UnifiedPush connector 3.x: the distributor link, the Web Push keys it makes and keeps,
    // and RFC 8291 decryption of each message before PushService.onMessage sees it.
    implementation("org.unifiedpush.android:connector:3.3.5")
}
