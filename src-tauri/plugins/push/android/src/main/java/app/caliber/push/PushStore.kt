package app.caliber.push

import android.content.Context
import org.json.JSONArray
import org.json.JSONObject

/**
 * What the push service learns while the app (and its Rust side) may not be running: the
 * current registration, and the alerts shown since the app last asked. SharedPreferences,
 * because the service is started by the distributor in a process without a web view.
 */
internal object PushStore {
    private const val FILE = "caliber-push"
    private const val REGISTRATION = "registration"
    private const val SHOWN = "shown"
    /** Beyond this many unread, the oldest are dropped: the app's own sync covers them. */
    private const val MAX_SHOWN = 200

    private fun prefs(context: Context) = context.getSharedPreferences(FILE, Context.MODE_PRIVATE)

    /** `{kind: "webPush", endpoint, p256dh, auth}`, as Rust's `PushDevice` reads it. */
    fun registration(context: Context): JSONObject? =
        prefs(context).getString(REGISTRATION, null)?.let { runCatching { JSONObject(it) }.getOrNull() }

    fun saveRegistration(context: Context, registration: JSONObject?) {
        prefs(context).edit().apply {
            if (registration == null) remove(REGISTRATION) else putString(REGISTRATION, registration.toString())
        }.apply()
    }

    @Synchronized
    fun addShown(context: Context, story: String?, url: String?) {
        val list = prefs(context).getString(SHOWN, null)?.let { runCatching { JSONArray(it) }.getOrNull() } ?: JSONArray()
        list.put(JSONObject().put("story", story ?: JSONObject.NULL).put("url", url ?: JSONObject.NULL))
        val kept = JSONArray()
        for (i in maxOf(0, list.length() - MAX_SHOWN) until list.length()) kept.put(list.get(i))
        prefs(context).edit().putString(SHOWN, kept.toString()).apply()
    }

    /** The alerts shown since the last call, once each. */
    @Synchronized
    fun takeShown(context: Context): JSONArray {
        val list = prefs(context).getString(SHOWN, null)?.let { runCatching { JSONArray(it) }.getOrNull() } ?: JSONArray()
        prefs(context).edit().remove(SHOWN).apply()
        return list
    }
}
