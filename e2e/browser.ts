// Launches Debian's Chromium with WebGPU on SwiftShader (see DEVELOPERS.md); FLOCK_CHROMIUM overrides the path.
import { chromium, type Browser } from 'playwright';

export const CHROMIUM_PATH = process.env.FLOCK_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(options: { webgpu?: boolean; ownSignalHandling?: boolean } = {}): Promise<Browser> {
  const webgpu = options.webgpu ?? true;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // A caller that closes its pages itself on Ctrl-C (the swarm CLI) must not have Playwright kill the browser first.
    handleSIGINT: !options.ownSignalHandling,
    handleSIGTERM: !options.ownSignalHandling,
    args: [
      ...(webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan'] : []),
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Background tabs must keep training at full speed.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
}
