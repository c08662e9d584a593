package app.caliber.push

import android.app.Activity
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Channel
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSArray
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import org.json.JSONObject
import org.unifiedpush.android.connector.UnifiedPush

@InvokeArg
class RegisterArgs {
    /** The relay's VAPID public key (base64url, 87 characters): the distributor may require it. */
    var vapidKey: String? = null
    /** Rust's channel for registrations that arrive later (CaliberPushService.onNewEndpoint). */
    lateinit var onChange: Channel
}

/** The Kotlin half of tauri-plugin-caliber-push (src/mobile.rs calls these commands). */
@TauriPlugin
class PushPlugin(private val activity: Activity) : Plugin(activity) {
    companion object {
        /** The running app's channel, if any; the service sends new endpoints through it. */
        @Volatile
        internal var listener: Channel? = null
        /** One registration for the whole app. */
        internal const val INSTANCE = "caliber"
    }

    /**
     * Use the distributor chosen before, else the phone's default one (the system may ask
     * the reader), and register with it. Answers the endpoint already known; a new one
     * comes later through `onChange`.
     */
    @Command
    fun register(invoke: Invoke) {
        val args = invoke.parseArgs(RegisterArgs::class.java)
        listener = args.onChange
        UnifiedPush.tryUseCurrentOrDefaultDistributor(activity) { found ->
            if (!found) {
                invoke.reject("No UnifiedPush distributor on this phone (install one, e.g. ntfy)", "noDistributor")
                return@tryUseCurrentOrDefaultDistributor
            }
            try {
                UnifiedPush.register(activity, INSTANCE, "Caliber Reader: breaking news", args.vapidKey)
            } catch (e: Exception) {
                invoke.reject("The distributor refused the registration: ${e.message}", "registrationFailed", e)
                return@tryUseCurrentOrDefaultDistributor
            }
            val answer = JSObject()
            answer.put("registration", PushStore.registration(activity) ?: JSONObject.NULL)
            invoke.resolve(answer)
        }
    }

    @Command
    fun unregister(invoke: Invoke) {
        UnifiedPush.unregister(activity, INSTANCE)
        PushStore.saveRegistration(activity, null)
        listener = null
        invoke.resolve()
    }

    /** The alerts CaliberPushService showed since the last call: Rust records them as announced. */
    @Command
    fun takeShownAlerts(invoke: Invoke) {
        val shown = PushStore.takeShown(activity)
        val alerts = JSArray()
        for (i in 0 until shown.length()) alerts.put(shown.get(i))
        val answer = JSObject()
        answer.put("alerts", alerts)
        invoke.resolve(answer)
    }
}
