// `npm run stress`: the long chaos run and the fault injection (test/stress), one file at a
// time. A config of its own rather than a third project in jest.config.js, so that `npm test`
// (and `npm test -- <paths>`) never picks these up.
import base from './jest.config.js';

const e2e = base.projects.find((project) => project.displayName === 'e2e');

export default {
  testTimeout: 600_000,
  projects: [
    { ...e2e, displayName: 'stress', roots: ['<rootDir>/test/stress'], testMatch: ['**/*.stress-spec.ts'] },
  ],
};
