// One short message at a time, announced politely (see Toast.svelte).
export const toast = $state({ message: null as string | null, serial: 0 });

let timer: ReturnType<typeof setTimeout> | undefined;

export function showToast(message: string, ms = 3000): void {
  clearTimeout(timer);
  toast.message = message;
  toast.serial++;
  timer = setTimeout(() => {
    toast.message = null;
  }, ms);
}

export function hideToast(): void {
  clearTimeout(timer);
  toast.message = null;
}
