import { sameState } from '../../../src/contracts/observed';
import { PROFILES } from '../../../src/contracts/profiles';
import { initialState } from '../../../src/lync-sim/state';
import { freshState } from '../../fixtures/load';

// The planner's golden tests run on these fixtures; they must stay what `picbot-lync-sim --init` creates.
describe('observed-state fixtures', () => {
  it.each(PROFILES.map((p) => [p]))('fresh-%s.json is the simulator --init state', (profile) => {
    expect(sameState(freshState(profile), initialState(profile, new Date(0)))).toBe(true);
  });
});
