/*
 * An EGL vendor for libglvnd that opens displays and draws nothing: WebKit's web process,
 * which draws without the GPU here (compositing off, Skia on the CPU), still aborts
 * without an EGL display, and on a machine whose only driver is Mesa's that display
 * loads Mesa's driver and LLVM: 25 MiB of the web process's proportional memory that
 * nothing uses (BENCHMARKS.md, "a display that draws nothing"). This vendor answers
 * eglGetPlatformDisplay and eglInitialize, offers no configs, and refuses every context,
 * surface, image and sync, as EGL lets a driver do.
 *
 * Built by build.rs into the app, which writes it out and names it to WebKit's processes
 * only (web_egl.rs). Self-contained: the EGL types and libglvnd's vendor ABI (version
 * 0.x, <glvnd/libeglabi.h>) are declared here so the build needs no -dev package.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef unsigned int EGLBoolean;
typedef unsigned int EGLenum;
typedef int32_t EGLint;
typedef intptr_t EGLAttrib;
typedef uint64_t EGLTime;
typedef void *EGLDisplay, *EGLConfig, *EGLSurface, *EGLContext, *EGLSync, *EGLImage, *EGLClientBuffer;

#define EGL_FALSE 0
#define EGL_TRUE 1
#define EGL_SUCCESS 0x3000
#define EGL_BAD_CONFIG 0x3005
#define EGL_BAD_CONTEXT 0x3006
#define EGL_BAD_DISPLAY 0x3008
#define EGL_BAD_MATCH 0x3009
#define EGL_BAD_PARAMETER 0x300C
#define EGL_BAD_SURFACE 0x300D
#define EGL_VENDOR 0x3053
#define EGL_VERSION 0x3054
#define EGL_EXTENSIONS 0x3055
#define EGL_CLIENT_APIS 0x308D
#define EGL_OPENGL_ES_API 0x30A0

/* libglvnd's vendor ABI: the major version must match, the structs keep their order. */
#define VENDOR_ABI_MAJOR 0u
#define VENDOR_STRING_PLATFORM_EXTENSIONS 0
typedef struct VendorInfo VendorInfo;
typedef struct ApiExports ApiExports;
typedef struct {
    EGLDisplay (*getPlatformDisplay)(EGLenum platform, void *native, const EGLAttrib *attribs);
    EGLBoolean (*getSupportsAPI)(EGLenum api);
    const char *(*getVendorString)(int name);
    void *(*getProcAddress)(const char *name);
    void *(*getDispatchAddress)(const char *name);
    void (*setDispatchIndex)(const char *name, int index);
    /* Optional members after these (patching, findNativeDisplayPlatform) stay NULL. */
} ApiImports;

#define EXPORT __attribute__((visibility("default")))

static char display_object;
#define DISPLAY ((EGLDisplay)&display_object)
static __thread EGLint last_error = EGL_SUCCESS;

static EGLBoolean failed(EGLint error) { last_error = error; return EGL_FALSE; }
static EGLBoolean succeeded(void) { last_error = EGL_SUCCESS; return EGL_TRUE; }
static void *refused(EGLint error) { last_error = error; return NULL; }

/* Vendor callbacks. One display, whatever the platform: it never draws on it. */
static EGLDisplay get_platform_display(EGLenum platform, void *native, const EGLAttrib *attribs) {
    (void)platform; (void)native; (void)attribs;
    return DISPLAY;
}
static EGLBoolean supports_api(EGLenum api) { return api == EGL_OPENGL_ES_API; }
static const char *vendor_string(int name) {
    return name == VENDOR_STRING_PLATFORM_EXTENSIONS
        ? "EGL_EXT_platform_base EGL_MESA_platform_surfaceless EGL_KHR_platform_gbm EGL_MESA_platform_gbm "
          "EGL_KHR_platform_x11 EGL_EXT_platform_x11"
        : NULL;
}

/* EGL's core functions, as libglvnd dispatches them to this vendor. */
static EGLBoolean initialize(EGLDisplay d, EGLint *major, EGLint *minor) {
    if (d != DISPLAY) return failed(EGL_BAD_DISPLAY);
    if (major) *major = 1;
    if (minor) *minor = 5;
    return succeeded();
}
static EGLBoolean terminate(EGLDisplay d) { return d == DISPLAY ? succeeded() : failed(EGL_BAD_DISPLAY); }
static const char *query_string(EGLDisplay d, EGLint name) {
    if (d == NULL && name == EGL_EXTENSIONS) return ""; /* client extensions beyond the platforms' */
    if (d != DISPLAY) return refused(EGL_BAD_DISPLAY);
    switch (name) {
    case EGL_VENDOR: return "Caliber Reader (a display that draws nothing)";
    case EGL_VERSION: return "1.5";
    case EGL_EXTENSIONS: return "";
    case EGL_CLIENT_APIS: return "OpenGL_ES";
    }
    return refused(EGL_BAD_PARAMETER);
}
static EGLBoolean no_configs(EGLDisplay d, EGLint *count) {
    if (d != DISPLAY) return failed(EGL_BAD_DISPLAY);
    if (!count) return failed(EGL_BAD_PARAMETER);
    *count = 0;
    return succeeded();
}
static EGLBoolean get_configs(EGLDisplay d, EGLConfig *configs, EGLint size, EGLint *count) {
    (void)configs; (void)size;
    return no_configs(d, count);
}
static EGLBoolean choose_config(EGLDisplay d, const EGLint *attribs, EGLConfig *configs, EGLint size, EGLint *count) {
    (void)attribs; (void)configs; (void)size;
    return no_configs(d, count);
}
static EGLBoolean get_config_attrib(EGLDisplay d, EGLConfig c, EGLint a, EGLint *v) { (void)d; (void)c; (void)a; (void)v; return failed(EGL_BAD_CONFIG); }
static EGLSurface create_window_surface(EGLDisplay d, EGLConfig c, uintptr_t w, const EGLint *a) { (void)d; (void)c; (void)w; (void)a; return refused(EGL_BAD_CONFIG); }
static EGLSurface create_pbuffer_surface(EGLDisplay d, EGLConfig c, const EGLint *a) { (void)d; (void)c; (void)a; return refused(EGL_BAD_CONFIG); }
static EGLSurface create_pixmap_surface(EGLDisplay d, EGLConfig c, uintptr_t p, const EGLint *a) { (void)d; (void)c; (void)p; (void)a; return refused(EGL_BAD_CONFIG); }
static EGLSurface create_pbuffer_from_client_buffer(EGLDisplay d, EGLenum t, EGLClientBuffer b, EGLConfig c, const EGLint *a) { (void)d; (void)t; (void)b; (void)c; (void)a; return refused(EGL_BAD_CONFIG); }
static EGLSurface create_platform_surface(EGLDisplay d, EGLConfig c, void *native, const EGLAttrib *a) { (void)d; (void)c; (void)native; (void)a; return refused(EGL_BAD_CONFIG); }
static EGLBoolean destroy_surface(EGLDisplay d, EGLSurface s) { (void)d; (void)s; return failed(EGL_BAD_SURFACE); }
static EGLBoolean query_surface(EGLDisplay d, EGLSurface s, EGLint a, EGLint *v) { (void)d; (void)s; (void)a; (void)v; return failed(EGL_BAD_SURFACE); }
static EGLBoolean surface_attrib(EGLDisplay d, EGLSurface s, EGLint a, EGLint v) { (void)d; (void)s; (void)a; (void)v; return failed(EGL_BAD_SURFACE); }
static EGLBoolean tex_image(EGLDisplay d, EGLSurface s, EGLint b) { (void)d; (void)s; (void)b; return failed(EGL_BAD_SURFACE); }
static EGLBoolean swap_buffers(EGLDisplay d, EGLSurface s) { (void)d; (void)s; return failed(EGL_BAD_SURFACE); }
static EGLBoolean copy_buffers(EGLDisplay d, EGLSurface s, uintptr_t p) { (void)d; (void)s; (void)p; return failed(EGL_BAD_SURFACE); }
static EGLBoolean swap_interval(EGLDisplay d, EGLint i) { (void)d; (void)i; return failed(EGL_BAD_CONTEXT); }
static EGLContext create_context(EGLDisplay d, EGLConfig c, EGLContext share, const EGLint *a) { (void)d; (void)c; (void)share; (void)a; return refused(EGL_BAD_CONFIG); }
static EGLBoolean destroy_context(EGLDisplay d, EGLContext c) { (void)d; (void)c; return failed(EGL_BAD_CONTEXT); }
static EGLBoolean make_current(EGLDisplay d, EGLSurface draw, EGLSurface read, EGLContext c) {
    (void)d;
    /* Releasing (nothing) succeeds; making anything current cannot. */
    return draw == NULL && read == NULL && c == NULL ? succeeded() : failed(EGL_BAD_MATCH);
}
static EGLBoolean query_context(EGLDisplay d, EGLContext c, EGLint a, EGLint *v) { (void)d; (void)c; (void)a; (void)v; return failed(EGL_BAD_CONTEXT); }
static EGLBoolean nothing_to_wait_for(void) { return succeeded(); }
static EGLBoolean wait_native(EGLint engine) { (void)engine; return succeeded(); }
static EGLBoolean release_thread(void) { return succeeded(); }
static EGLint get_error(void) { EGLint e = last_error; last_error = EGL_SUCCESS; return e; }
static EGLSync create_sync(EGLDisplay d, EGLenum t, const EGLAttrib *a) { (void)d; (void)t; (void)a; return refused(EGL_BAD_PARAMETER); }
static EGLBoolean destroy_sync(EGLDisplay d, EGLSync s) { (void)d; (void)s; return failed(EGL_BAD_PARAMETER); }
static EGLint client_wait_sync(EGLDisplay d, EGLSync s, EGLint f, EGLTime t) { (void)d; (void)s; (void)f; (void)t; return failed(EGL_BAD_PARAMETER); }
static EGLBoolean wait_sync(EGLDisplay d, EGLSync s, EGLint f) { (void)d; (void)s; (void)f; return failed(EGL_BAD_PARAMETER); }
static EGLBoolean get_sync_attrib(EGLDisplay d, EGLSync s, EGLint a, EGLAttrib *v) { (void)d; (void)s; (void)a; (void)v; return failed(EGL_BAD_PARAMETER); }
static EGLImage create_image(EGLDisplay d, EGLContext c, EGLenum t, EGLClientBuffer b, const EGLAttrib *a) { (void)d; (void)c; (void)t; (void)b; (void)a; return refused(EGL_BAD_PARAMETER); }
static EGLBoolean destroy_image(EGLDisplay d, EGLImage i) { (void)d; (void)i; return failed(EGL_BAD_PARAMETER); }

static const struct { const char *name; void *function; } functions[] = {
    {"eglInitialize", (void *)initialize}, {"eglTerminate", (void *)terminate},
    {"eglQueryString", (void *)query_string}, {"eglGetConfigs", (void *)get_configs},
    {"eglChooseConfig", (void *)choose_config}, {"eglGetConfigAttrib", (void *)get_config_attrib},
    {"eglCreateWindowSurface", (void *)create_window_surface},
    {"eglCreatePbufferSurface", (void *)create_pbuffer_surface},
    {"eglCreatePixmapSurface", (void *)create_pixmap_surface},
    {"eglCreatePbufferFromClientBuffer", (void *)create_pbuffer_from_client_buffer},
    {"eglCreatePlatformWindowSurface", (void *)create_platform_surface},
    {"eglCreatePlatformPixmapSurface", (void *)create_platform_surface},
    {"eglDestroySurface", (void *)destroy_surface}, {"eglQuerySurface", (void *)query_surface},
    {"eglSurfaceAttrib", (void *)surface_attrib}, {"eglBindTexImage", (void *)tex_image},
    {"eglReleaseTexImage", (void *)tex_image}, {"eglSwapBuffers", (void *)swap_buffers},
    {"eglCopyBuffers", (void *)copy_buffers}, {"eglSwapInterval", (void *)swap_interval},
    {"eglCreateContext", (void *)create_context}, {"eglDestroyContext", (void *)destroy_context},
    {"eglMakeCurrent", (void *)make_current}, {"eglQueryContext", (void *)query_context},
    {"eglWaitClient", (void *)nothing_to_wait_for}, {"eglWaitGL", (void *)nothing_to_wait_for},
    {"eglWaitNative", (void *)wait_native}, {"eglReleaseThread", (void *)release_thread},
    {"eglGetError", (void *)get_error}, {"eglCreateSync", (void *)create_sync},
    {"eglDestroySync", (void *)destroy_sync}, {"eglClientWaitSync", (void *)client_wait_sync},
    {"eglWaitSync", (void *)wait_sync}, {"eglGetSyncAttrib", (void *)get_sync_attrib},
    {"eglCreateImage", (void *)create_image}, {"eglDestroyImage", (void *)destroy_image},
};

static void *get_proc_address(const char *name) {
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (strcmp(functions[i].name, name) == 0) return functions[i].function;
    return NULL; /* no extension functions, and no GL */
}
static void *get_dispatch_address(const char *name) { (void)name; return NULL; }
static void set_dispatch_index(const char *name, int index) { (void)name; (void)index; }

EXPORT EGLBoolean __egl_Main(uint32_t version, const ApiExports *exports, VendorInfo *vendor, ApiImports *imports) {
    (void)exports; (void)vendor;
    if (version >> 16 != VENDOR_ABI_MAJOR) return EGL_FALSE;
    imports->getPlatformDisplay = get_platform_display;
    imports->getSupportsAPI = supports_api;
    imports->getVendorString = vendor_string;
    imports->getProcAddress = get_proc_address;
    imports->getDispatchAddress = get_dispatch_address;
    imports->setDispatchIndex = set_dispatch_index;
    return EGL_TRUE;
}
