// The Swift half of tauri-plugin-caliber-push (src/mobile.rs calls these commands): APNs
// registration, the device token handed to Rust, and a tap on a relayed alert opening
// caliber://open?url=<article link>. iOS shows the relay's alerts itself (the `aps` part of
// the payload); the `caliber` part beside it carries the story key and the link.

import ObjectiveC.runtime
import Tauri
import UIKit
import UserNotifications
import WebKit

class RegisterArgs: Decodable {
  /// The relay's VAPID key: Web Push only, not used with APNs.
  let vapidKey: String?
  /// Rust's channel for tokens that arrive later (APNs may hand a new one at any launch).
  let onChange: Channel
}

/// UserDefaults keys: the last token, and the delivered alerts already reported to Rust.
private let tokenKey = "caliber.push.token"
private let reportedKey = "caliber.push.reported"
private let shownKey = "caliber.push.shown"

class PushPlugin: Plugin, UNUserNotificationCenterDelegate {
  private var listener: Channel?
  private var pendingRegister: Invoke?
  /// tauri-plugin-notification's delegate, if it set one: what is not ours goes on to it.
  private weak var previousDelegate: UNUserNotificationCenterDelegate?

  override func load(webview: WKWebView) {
    let center = UNUserNotificationCenter.current()
    previousDelegate = center.delegate
    center.delegate = self
    PushPlugin.installTokenCallbacks(plugin: self)
  }

  @objc public func register(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(RegisterArgs.self)
    listener = args.onChange
    UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound, .badge]) { granted, error in
      guard granted else {
        invoke.reject("Notifications are not allowed for Caliber Reader", code: "denied")
        return
      }
      DispatchQueue.main.async {
        UIApplication.shared.registerForRemoteNotifications()
      }
      // The token comes to the app delegate (installTokenCallbacks); answer what is known now.
      if let token = UserDefaults.standard.string(forKey: tokenKey) {
        invoke.resolve(["registration": ["kind": "apns", "deviceToken": token]])
      } else {
        invoke.resolve(["registration": NSNull()])
      }
    }
  }

  @objc public func unregister(_ invoke: Invoke) {
    DispatchQueue.main.async { UIApplication.shared.unregisterForRemoteNotifications() }
    UserDefaults.standard.removeObject(forKey: tokenKey)
    listener = nil
    invoke.resolve()
  }

  /// Relayed alerts shown since the last call: those shown while the app was open, and those
  /// still in Notification Center from while it was closed (iOS tells an app nothing about
  /// a remote alert it showed until then; one dismissed unread is not reported).
  @objc public func takeShownAlerts(_ invoke: Invoke) {
    UNUserNotificationCenter.current().getDeliveredNotifications { delivered in
      let defaults = UserDefaults.standard
      var reported = Set(defaults.stringArray(forKey: reportedKey) ?? [])
      var alerts = (defaults.array(forKey: shownKey) as? [[String: String]]) ?? []
      defaults.removeObject(forKey: shownKey)
      for notification in delivered where !reported.contains(notification.request.identifier) {
        if let alert = PushPlugin.caliberAlert(notification.request.content.userInfo) {
          alerts.append(alert)
          reported.insert(notification.request.identifier)
        }
      }
      // Only what is still delivered needs remembering.
      let still = Set(delivered.map { $0.request.identifier })
      defaults.set(Array(reported.intersection(still)), forKey: reportedKey)
      invoke.resolve(["alerts": alerts])
    }
  }

  /// `{story, url}` of a relayed story alert, nil for anything else.
  static func caliberAlert(_ userInfo: [AnyHashable: Any]) -> [String: String]? {
    guard let caliber = userInfo["caliber"] as? [String: Any], caliber["kind"] as? String == "story" else { return nil }
    var alert: [String: String] = [:]
    if let story = caliber["story"] as? String { alert["story"] = story }
    if let url = caliber["url"] as? String { alert["url"] = url }
    return alert
  }

  func tokenArrived(_ deviceToken: Data) {
    let hex = deviceToken.map { String(format: "%02x", $0) }.joined()
    UserDefaults.standard.set(hex, forKey: tokenKey)
    try? listener?.send(["kind": "apns", "deviceToken": hex])
  }

  // MARK: UNUserNotificationCenterDelegate

  /// A relayed alert while the app is open: shown as a banner, and remembered as shown.
  func userNotificationCenter(
    _ center: UNUserNotificationCenter, willPresent notification: UNNotification,
    withCompletionHandler completionHandler: @escaping (UNNotificationPresentationOptions) -> Void
  ) {
    guard let alert = PushPlugin.caliberAlert(notification.request.content.userInfo) else {
      if let previous = previousDelegate,
        previous.responds(to: #selector(UNUserNotificationCenterDelegate.userNotificationCenter(_:willPresent:withCompletionHandler:)))
      {
        previous.userNotificationCenter?(center, willPresent: notification, withCompletionHandler: completionHandler)
      } else {
        completionHandler([.banner, .sound])
      }
      return
    }
    let defaults = UserDefaults.standard
    var shown = (defaults.array(forKey: shownKey) as? [[String: String]]) ?? []
    shown.append(alert)
    defaults.set(shown, forKey: shownKey)
    var reported = defaults.stringArray(forKey: reportedKey) ?? []
    reported.append(notification.request.identifier)
    defaults.set(reported, forKey: reportedKey)
    completionHandler([.banner, .sound])
  }

  /// A tap on a relayed alert opens the article through the app's deep link.
  func userNotificationCenter(
    _ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse,
    withCompletionHandler completionHandler: @escaping () -> Void
  ) {
    guard let alert = PushPlugin.caliberAlert(response.notification.request.content.userInfo) else {
      if let previous = previousDelegate,
        previous.responds(to: #selector(UNUserNotificationCenterDelegate.userNotificationCenter(_:didReceive:withCompletionHandler:)))
      {
        previous.userNotificationCenter?(center, didReceive: response, withCompletionHandler: completionHandler)
      } else {
        completionHandler()
      }
      return
    }
    var link = URLComponents()
    link.scheme = "caliber"
    link.host = "open"
    if let url = alert["url"] { link.queryItems = [URLQueryItem(name: "url", value: url)] }
    if let url = link.url {
      // The app's own scheme: it comes back through the deep-link plugin (lib.rs).
      DispatchQueue.main.async { UIApplication.shared.open(url) }
    }
    completionHandler()
  }

  // MARK: The device token

  /// Tauri's app delegate has no APNs callbacks, and a plugin cannot replace the delegate:
  /// add `application(_:didRegisterForRemoteNotificationsWithDeviceToken:)` and the failure
  /// callback to its class at run time (calling through to any the class already had).
  static func installTokenCallbacks(plugin: PushPlugin) {
    guard let delegate = UIApplication.shared.delegate else { return }
    let cls: AnyClass = type(of: delegate)

    let registered = NSSelectorFromString("application:didRegisterForRemoteNotificationsWithDeviceToken:")
    typealias Registered = @convention(c) (AnyObject, Selector, UIApplication, Data) -> Void
    let originalRegistered = class_getInstanceMethod(cls, registered).map { method_getImplementation($0) }
    let onToken: @convention(block) (AnyObject, UIApplication, Data) -> Void = { [weak plugin] this, app, token in
      if let original = originalRegistered { unsafeBitCast(original, to: Registered.self)(this, registered, app, token) }
      plugin?.tokenArrived(token)
    }
    replace(cls, registered, imp_implementationWithBlock(onToken), "v@:@@")

    let failed = NSSelectorFromString("application:didFailToRegisterForRemoteNotificationsWithError:")
    typealias Failed = @convention(c) (AnyObject, Selector, UIApplication, NSError) -> Void
    let originalFailed = class_getInstanceMethod(cls, failed).map { method_getImplementation($0) }
    let onFailure: @convention(block) (AnyObject, UIApplication, NSError) -> Void = { this, app, error in
      if let original = originalFailed { unsafeBitCast(original, to: Failed.self)(this, failed, app, error) }
      Logger.error("caliber: APNs registration failed: \(error.localizedDescription)")
    }
    replace(cls, failed, imp_implementationWithBlock(onFailure), "v@:@@")
  }

  private static func replace(_ cls: AnyClass, _ selector: Selector, _ imp: IMP, _ types: String) {
    if let method = class_getInstanceMethod(cls, selector) {
      method_setImplementation(method, imp)
    } else {
      class_addMethod(cls, selector, imp, types)
    }
  }
}

@_cdecl("init_plugin_caliber_push")
func initPlugin() -> Plugin {
  return PushPlugin()
}
