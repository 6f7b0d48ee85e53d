import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared';

// Sources import pfs.proto as text, as tsup's text loader bundles it (tsup.config.ts).
export default mergeConfig(shared, {
  plugins: [
    {
      name: 'proto-as-text',
      transform(code: string, id: string) {
        return id.endsWith('.proto')
          ? { code: `export default ${JSON.stringify(code)};`, map: null }
          : undefined;
      },
    },
  ],
});
