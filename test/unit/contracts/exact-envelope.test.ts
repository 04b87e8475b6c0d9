/** The runner's closed envelope schema names exactly the fields of the envelope the server signs. */
import { ExactJobEnvelope, JobEnvelope, PlanStep } from '../../../src/contracts/runner-api';

it('has the same fields as JobEnvelope, at every level', () => {
  expect(Object.keys(ExactJobEnvelope.shape).sort()).toEqual(Object.keys(JobEnvelope.shape).sort());
  expect(Object.keys(ExactJobEnvelope.shape.discovery.shape).sort()).toEqual(Object.keys(JobEnvelope.shape.discovery.shape).sort());
  expect(Object.keys(ExactJobEnvelope.shape.steps.element.shape).sort()).toEqual(Object.keys(PlanStep.shape).sort());
});
