/**
 * The bot learns approvers' Teams user ids from the conversation roster, not only from their
 * activities: when it is added to a conversation, and before it posts an approval
 * card. Over real HTTP: the roster is read from the loopback Bot Connector emulator
 * (GET /v3/conversations/{id}/pagedmembers); a failing read is logged and changes nothing else.
 */
import { freshState, requestFixture } from '../fixtures/load';
import { cardOf } from '../fakes/connector';
import { allText } from './card-query';
import { startHarness, type Harness } from './harness';
import { discover, httpRunner, requestApproval, seedRequest } from './plan-helpers';
import { ALEX, channel, DANA, type TeamsUser } from './teams-activities';

const SAM: TeamsUser = { aadObjectId: '3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f', teamsUserId: '29:1sam-Xy7wQz3pL', name: 'Sam Approver' };
const EVE: TeamsUser = { aadObjectId: 'e1e2e3e4-0000-4000-8000-00000000e4e5', teamsUserId: '29:1eve-Nb4vTr8kM', name: 'Eve Bystander' };
const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';
const member = (u: TeamsUser) => ({ id: u.teamsUserId, name: u.name, aadObjectId: u.aadObjectId });

let h: Harness;
beforeEach(async () => {
  h = await startHarness({
    env: {
      PICBOT_ADMINS: DANA.aadObjectId,
      PICBOT_APPROVERS: [ALEX, SAM].map((u) => u.aadObjectId).join(','),
      PICBOT_APPROVALS_CONVERSATION: APPROVALS.channelId,
    },
  });
});
afterEach(async () => {
  await h.close();
});

const known = async (u: TeamsUser) => (await h.server.deps.userIds.get(u.aadObjectId))?.teamsUserId ?? null;

/** A discovered request of Dana's, ready for "Request approval". */
async function discovered(): Promise<void> {
  await seedRequest(h, REQ, requestFixture('global'), DANA);
  await discover(h, REQ, DANA, await httpRunner(h), freshState('lync2013'));
}

const refreshIds = (card: Record<string, unknown>) => (card.refresh as { userIds: string[] }).userIds;

describe('the conversation roster', () => {
  it('is read, every page of it, when the bot is added to a team', async () => {
    h.connector.setRoster([DANA, ALEX, SAM, EVE].map(member), { pageSize: 3 });
    const r = await h.added({ user: DANA, conversation: APPROVALS });
    expect(r.status).toBe(200);
    // In a team, the team's roster (Teams puts the team id in channelData).
    expect(h.connector.rosterReads).toEqual([APPROVALS.teamId, APPROVALS.teamId]);
    expect(await known(SAM)).toBe(SAM.teamsUserId);
    expect(await known(EVE)).toBe(EVE.teamsUserId);
    expect((await h.server.deps.userIds.get(ALEX.aadObjectId))?.name).toBe('Alex Approver');
  });

  it('is read before an approval card is posted, so refresh.userIds names approvers who never wrote to the bot', async () => {
    await h.say('help', { user: DANA, conversation: APPROVALS });
    await discovered();
    expect(await known(ALEX)).toBeNull();
    h.connector.setRoster([DANA, ALEX, SAM].map(member));
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    expect(h.connector.rosterReads).toContain(APPROVALS.channelId);
    expect(refreshIds(posted.card).sort()).toEqual([ALEX.teamsUserId, SAM.teamsUserId].sort());
  });

  it('a failing read is logged and changes nothing else: the bot still welcomes, the card is still posted', async () => {
    h.connector.setRoster([DANA, ALEX, SAM].map(member));
    h.connector.failRoster(403);
    const added = await h.added({ user: DANA, conversation: APPROVALS });
    expect(added.status).toBe(200);
    expect(added.calls.some((c) => cardOf(c) !== null)).toBe(true);
    expect(h.connector.rosterReads).toEqual([APPROVALS.teamId]);
    expect(await known(SAM)).toBeNull();

    await discovered();
    h.connector.failRoster(403);
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    expect(allText(posted.card)).toMatch(/Approve this plan\?/);
    expect(refreshIds(posted.card)).toEqual([]);
  });
});
