// `npm run test:browser`: the pages (web/) in Debian's Chromium, driven by playwright-core, against
// the app on a real port. A config of its own, like the stress run, so that `npm test` needs no
// browser; .ci/run installs Chromium and runs it after `npm test`. Needs `npm run build` first.
import base from './jest.config.js';

const e2e = base.projects.find((project) => project.displayName === 'e2e');

export default {
  testTimeout: 120_000,
  projects: [
    {
      ...e2e,
      displayName: 'browser',
      roots: ['<rootDir>/test/browser'],
      testMatch: ['**/*.browser-spec.ts'],
    },
  ],
};
