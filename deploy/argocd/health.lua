-- Argo CD health for ecs-operator kinds (Cluster, CapacityProvider, TaskDefinition,
-- Service, Task, ScheduledTask).
-- Their status follows kstatus: Ready, Reconciling and Stalled conditions plus
-- observedGeneration. Healthy only when Ready is True for the current spec.
local hs = {}
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for ecs-operator to report status"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for ecs-operator to act on the latest spec"
  return hs
end
local ready = nil
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Stalled" and condition.status == "True" then
    hs.status = "Degraded"
    hs.message = (condition.reason or "Stalled") .. ": " .. (condition.message or "")
    return hs
  end
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready ~= nil and ready.status == "True" then
  -- A suspended ScheduledTask runs nothing until resumed: Argo CD's Suspended. One whose
  -- newest run failed stays Healthy (the next run may succeed); Ready's message says so.
  if obj.spec ~= nil and obj.spec.suspend == true then
    hs.status = "Suspended"
    hs.message = "suspended: " .. (ready.message or "")
    return hs
  end
  hs.status = "Healthy"
  hs.message = ready.message or ""
  return hs
end
-- A rollout held by a PAUSE lifecycle hook waits for a person: Argo CD's Suspended.
if ready ~= nil and ready.reason == "RolloutPaused" then
  hs.status = "Suspended"
  hs.message = "RolloutPaused: " .. (ready.message or "")
  return hs
end
hs.status = "Progressing"
if ready ~= nil then
  hs.message = (ready.reason or "Reconciling") .. ": " .. (ready.message or "")
else
  hs.message = "Waiting for ecs-operator to report Ready"
end
return hs
