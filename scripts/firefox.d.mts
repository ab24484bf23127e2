export declare const firefoxPath: string;
export declare const firefoxPrefs: Record<string, string | number | boolean>;
export declare function firefoxLaunchOptions(
  extraPrefs?: Record<string, string | number | boolean>,
  headless?: boolean,
): {
  browser: 'firefox';
  executablePath: string;
  headless: boolean;
  extraPrefsFirefox: Record<string, string | number | boolean>;
};
