package app.caliber.push

import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Intent
import android.net.Uri
import android.os.Build
import android.util.Log
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import app.tauri.plugin.JSObject
import org.json.JSONObject
import org.unifiedpush.android.connector.FailedReason
import org.unifiedpush.android.connector.PushService
import org.unifiedpush.android.connector.data.PushEndpoint
import org.unifiedpush.android.connector.data.PushMessage

/**
 * Where the UnifiedPush connector delivers: new endpoints (handed to Rust, which subscribes
 * them at the relay) and messages, already decrypted by the connector (RFC 8291 with the
 * keys it made for this registration). Runs with the app closed, so it shows the alert
 * itself and remembers it for the app (PushStore).
 */
class CaliberPushService : PushService() {
    companion object {
        private const val TAG = "CaliberPush"
        /** The app's channel (src-tauri/src/notifications.rs BREAKING_CHANNEL). */
        const val CHANNEL = "breaking-news"
    }

    override fun onNewEndpoint(endpoint: PushEndpoint, instance: String) {
        // Without keys the relay cannot encrypt to us (it only sends RFC 8291 messages).
        val keys = endpoint.pubKeySet ?: run {
            Log.w(TAG, "endpoint without Web Push keys; not used")
            return
        }
        val registration = JSObject()
        registration.put("kind", "webPush")
        registration.put("endpoint", endpoint.url)
        registration.put("p256dh", keys.pubKey)
        registration.put("auth", keys.auth)
        PushStore.saveRegistration(this, registration)
        PushPlugin.listener?.send(registration)
    }

    override fun onMessage(message: PushMessage, instance: String) {
        if (!message.decrypted) {
            Log.w(TAG, "a message that did not decrypt; dropped")
            return
        }
        val alert = runCatching { JSONObject(String(message.content, Charsets.UTF_8)) }.getOrNull()
            ?: run {
                Log.w(TAG, "a message that is not JSON; dropped")
                return
            }
        show(alert)
    }

    override fun onRegistrationFailed(reason: FailedReason, instance: String) {
        Log.w(TAG, "registration failed: $reason")
    }

    override fun onUnregistered(instance: String) {
        // The distributor dropped us; the relay drops the endpoint once it answers 404/410.
        PushStore.saveRegistration(this, null)
    }

    /** The relay's payload: {kind: "story", edition, title, source, url, breaking, story} or {kind: "summary", count}. */
    private fun show(alert: JSONObject) {
        val kind = alert.optString("kind")
        val url = alert.optString("url").ifEmpty { null }
        val story = alert.optString("story").ifEmpty { null }
        val (title, text) = when (kind) {
            "story" -> alert.optString("title") to alert.optString("source", "Caliber.az")
            "summary" -> "Caliber Reader" to "+${alert.optInt("count")}"
            else -> return
        }
        ensureChannel()
        // A tap opens the article in the app (lib.rs handles caliber://open?url=…), or the app's list.
        val link = if (url != null) "caliber://open?url=" + Uri.encode(url) else "caliber://open"
        val open = Intent(Intent.ACTION_VIEW, Uri.parse(link)).setPackage(packageName)
            .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_SINGLE_TOP)
        val id = (story ?: url ?: kind).hashCode()
        val tap = PendingIntent.getActivity(this, id, open, PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT)
        val notification = NotificationCompat.Builder(this, CHANNEL)
            .setSmallIcon(applicationInfo.icon)
            .setContentTitle(title)
            .setContentText(text)
            .setPriority(NotificationCompat.PRIORITY_HIGH)
            .setCategory(NotificationCompat.CATEGORY_MESSAGE)
            .setContentIntent(tap)
            .setAutoCancel(true)
            .build()
        try {
            // Same story (another edition): same id, so it replaces rather than repeats.
            NotificationManagerCompat.from(this).notify(id, notification)
        } catch (e: SecurityException) {
            Log.w(TAG, "notifications not allowed: ${e.message}")
            return
        }
        if (kind == "story") PushStore.addShown(this, story, url)
    }

    /** The app creates the channel at start; a push may come before the app ever ran again. */
    private fun ensureChannel() {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.O) return
        val manager = getSystemService(NotificationManager::class.java) ?: return
        if (manager.getNotificationChannel(CHANNEL) != null) return
        manager.createNotificationChannel(NotificationChannel(CHANNEL, "Breaking news", NotificationManager.IMPORTANCE_HIGH))
    }
}
