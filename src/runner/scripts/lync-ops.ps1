<#
.SYNOPSIS
  picbot's PowerShell shell host: runs catalog ops against Lync Server / Skype for Business Server.

.DESCRIPTION
  Speaks picbot's stdio shell protocol (src/contracts/ops.ts), the same one the simulator (picbot-lync-sim) speaks:
    stdin : one JSON request per line   {"id":1,"op":"publicProvider.set","params":{"identity":"Skype","enabled":true}}
    stdout: one JSON answer per line    {"id":1,"ok":true,"data":null}  or
                                        {"id":1,"ok":false,"error":{"code":"not_found","message":"..."}}
  Each op is ONE fixed cmdlet call. Parameters arrive as data and are splatted from a hashtable;
  nothing is ever pasted into a command string (no Invoke-Expression, no string-built commands).
  stdout carries answer lines only; diagnostics go to stderr.

  The picbot runner starts it once per job:
    powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File lync-ops.ps1 [-FrontEnd fe01.contoso.com]

.PARAMETER FrontEnd
  FQDN of a Front End. With it, the script opens a remote session to https://<FrontEnd>/OcsPowershell as the
  account the runner runs as (implicit credentials) and imports it: the usual setup, from a Windows Server
  2016+ management host, because Node 20 does not run on the 2008 R2/2012 R2 servers most Front Ends use.
  Without it, the script imports the local SkypeForBusiness (or Lync) module: a Front End on Server 2016+.
#>
[CmdletBinding()]
param(
  [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$')]
  [string]$FrontEnd
)

# Windows PowerShell 5.1 talks in the console's OEM code page (CP437, CP949, ...) unless told otherwise.
$utf8 = [System.Text.UTF8Encoding]::new($false)
$OutputEncoding = $utf8
try {
  [Console]::InputEncoding = $utf8
  [Console]::OutputEncoding = $utf8
} catch {
  # Started without a console window (the runner hides it): the streams below are UTF-8 anyway.
  [Console]::Error.WriteLine("lync-ops: console encoding not set: $($_.Exception.Message)")
}
# Requests and answers use the raw standard streams in UTF-8, bypassing the host's formatting.
$stdin = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), $utf8)
$stdout = [System.IO.StreamWriter]::new([Console]::OpenStandardOutput(), $utf8)
$stdout.NewLine = "`n"
$stdout.AutoFlush = $true

# Nothing but answers may reach stdout: no progress bars, no verbose/information records, and
# warnings are captured per call (-WarningVariable) into the answer instead of being printed.
# Strict mode stays off on purpose: a property an older server lacks (IconUrl on Lync 2010) reads as $null.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'

# Common parameters of every cmdlet call: stop on any error, never prompt, collect warnings.
$Read = @{ ErrorAction = 'Stop'; WarningAction = 'SilentlyContinue'; WarningVariable = '+opWarnings' }
$Write = @{ ErrorAction = 'Stop'; WarningAction = 'SilentlyContinue'; WarningVariable = '+opWarnings'; Confirm = $false }

$Products = @('Lync Server 2010', 'Lync Server 2013', 'Skype for Business Server 2015',
  'Skype for Business Server 2019', 'Skype for Business Server Subscription Edition')

function Write-Log([string]$message) { [Console]::Error.WriteLine("lync-ops: $message") }

# An error with one of picbot's shell error codes (src/contracts/shell-errors.ts).
function New-OpError([string]$code, [string]$message) {
  $err = New-Object System.Exception $message
  $err.Data['picbotCode'] = $code
  return $err
}

# Copies the request's params into a hashtable for splatting, refusing any name the op does not take.
# Splatting matches parameter names case-insensitively, so camelCase keys bind to -PascalCase parameters.
function ConvertTo-Splat($params, [string[]]$allowed) {
  $splat = @{}
  foreach ($p in $params.PSObject.Properties) {
    if ($allowed -cnotcontains $p.Name) {
      throw (New-OpError 'bad_params' "A parameter cannot be found that matches parameter name '$($p.Name)'.")
    }
    $splat[$p.Name] = $p.Value
  }
  return $splat
}

# Properties an older server does not have read as $null; collections are joined with commas,
# the way the matching parameter takes them (NameDecorationExcludedDomainList).
function Get-Text($o, [string]$name) {
  $p = $o.PSObject.Properties[$name]
  if ($null -eq $p -or $null -eq $p.Value -or [string]$p.Value -eq '') { return $null }
  return [string]$p.Value
}
function Get-Flag($o, [string]$name) {
  $p = $o.PSObject.Properties[$name]
  if ($null -eq $p -or $null -eq $p.Value) { return $null }
  return [bool]$p.Value
}
function Get-Joined($o, [string]$name) {
  $p = $o.PSObject.Properties[$name]
  if ($null -eq $p -or $null -eq $p.Value) { return $null }
  $items = @($p.Value | ForEach-Object { [string]$_ })
  if ($items.Count -eq 0) { return $null }
  return ($items -join ',')
}

# A provider's VerificationLevel as text. An unset level reads as $null (calling .ToString() on it
# would fail the whole list); the cmdlet reference documents AlwaysVerifiable as the default.
function Get-Level($o) {
  $level = Get-Text $o 'VerificationLevel'
  if ($null -eq $level) { return 'AlwaysVerifiable' }
  return $level
}

# Global, site:X and tag:X as picbot spells them (Lync shows Global, Site:X, Tag:X); a bare name is per-user.
function ConvertTo-PolicyIdentity([string]$identity) {
  if ($identity -eq 'global') { return 'Global' }
  if ($identity -match '^(site|tag):(.+)$') { return $Matches[1].ToLowerInvariant() + ':' + $Matches[2] }
  if ($identity -match ':') { return $identity }
  return 'tag:' + $identity
}

function ConvertTo-PublicProvider($p) {
  return [ordered]@{
    identity = [string]$p.Identity
    proxyFqdn = [string]$p.ProxyFqdn
    enabled = [bool]$p.Enabled
    verificationLevel = Get-Level $p
    iconUrl = Get-Text $p 'IconUrl'
    nameDecorationRoutingDomain = Get-Text $p 'NameDecorationRoutingDomain'
    nameDecorationExcludedDomainList = Get-Joined $p 'NameDecorationExcludedDomainList'
    enableSkypeIdRouting = Get-Flag $p 'EnableSkypeIdRouting'
    enableSkypeDirectorySearch = Get-Flag $p 'EnableSkypeDirectorySearch'
  }
}

# The server's own VerificationLevelType names and numbers, so the planner can compare the seed's
# `-VerificationLevel 2` with the names Get- returns (the number is never guessed).
# In remote mode the enum type exists only on the Front End, so this runs there; an endpoint in a
# restricted language mode refuses it, and Get-VerificationLevels falls back to -InMemory probes.
$ReadVerificationLevels = {
  $type = (Get-Command New-CsPublicProvider).Parameters['VerificationLevel'].ParameterType
  if ($type.IsGenericType) { $type = [Nullable]::GetUnderlyingType($type) }
  foreach ($value in [Enum]::GetValues($type)) {
    New-Object PSObject -Property @{ Name = $value.ToString(); Value = [int]$value }
  }
}

# The cmdlets whose parameter names discovery reports (src/contracts/cmdlet-reference.ts).
$CapabilityCmdlets = @('New-CsPublicProvider', 'Set-CsAccessEdgeConfiguration', 'New-CsExternalAccessPolicy', 'Set-CsClientPolicy')

# The discovery fallbacks of the current server.version call, reported in its answer.
$script:fallbacks = New-Object System.Collections.ArrayList
function Add-Fallback([string]$read, [string]$reason, [string]$instead) {
  $null = $script:fallbacks.Add([ordered]@{ read = $read; reason = $reason; instead = $instead })
}

# Whether the (local or imported) cmdlet has a parameter.
function Test-Parameter([string]$cmdlet, [string]$name) {
  $command = Get-Command $cmdlet -ErrorAction SilentlyContinue
  return ($null -ne $command -and $command.Parameters.ContainsKey($name))
}

# VerificationLevelType name -> number. First the enum itself (a script block on the Front End in
# remote mode); where the endpoint refuses script blocks, each number 0..15 is bound with
# New-CsPublicProvider -InMemory, which "creates an object reference without actually committing
# the object" (https://learn.microsoft.com/powershell/module/skypeforbusiness/new-cspublicprovider).
function Get-VerificationLevels {
  $levels = [ordered]@{}
  try {
    if ($session) { $pairs = Invoke-Command -Session $session -ScriptBlock $ReadVerificationLevels -ErrorAction Stop }
    else { $pairs = & $ReadVerificationLevels }
    foreach ($pair in $pairs) { $levels[[string]$pair.Name] = [int]$pair.Value }
    return $levels
  } catch {
    $reason = [string]$_.Exception.Message
  }
  if (-not (Test-Parameter 'New-CsPublicProvider' 'InMemory')) {
    Add-Fallback 'VerificationLevelType values' $reason 'nothing: the verification level names are unknown, so plans that pass -VerificationLevel 2 are refused'
    return $levels
  }
  for ($n = 0; $n -lt 16; $n++) {
    try {
      $probe = @{ Identity = 'picbot-probe'; ProxyFqdn = 'picbot-probe.invalid'; Enabled = $false; VerificationLevel = $n; InMemory = $true }
      $object = New-CsPublicProvider @probe @Read
      $levels[(Get-Level $object)] = $n
    } catch {
      break
    }
  }
  Add-Fallback 'VerificationLevelType values' $reason 'each number resolved by binding it with New-CsPublicProvider -InMemory (nothing created)'
  return $levels
}

# Product names by the major version of the build (4.0.7577 is Lync Server 2010, and so on).
$ProductsByMajor = @{ '4' = 'Lync Server 2010'; '5' = 'Lync Server 2013'; '6' = 'Skype for Business Server 2015';
  '7' = 'Skype for Business Server 2019'; '8' = 'Skype for Business Server Subscription Edition' }

# Get-CsServerVersion "is designed to run only on the local computer"
# (https://learn.microsoft.com/powershell/module/skypeforbusiness/get-csserverversion). Where it
# fails, the product comes from the topology, which any session can read: the Registrar service
# of Get-CsService -Registrar (https://learn.microsoft.com/powershell/module/skypeforbusiness/get-csservice)
# and its Version (the build's major version; that property is on the real-server checklist).
function Get-ServerVersion {
  try {
    # "Microsoft Lync Server 2013 (5.0.8308.0): Volume license key installed."
    $sentence = [string](Get-CsServerVersion @Read)
    if ($sentence -notmatch '\((?<version>\d+(\.\d+)+)\)') {
      throw (New-OpError 'cmdlet_failed' "Cannot read a version number from Get-CsServerVersion: $sentence")
    }
    $version = $Matches['version']
    $product = $null
    foreach ($name in $Products) { if ($sentence -like "*$name*") { $product = $name } }
    if ($null -eq $product) { throw (New-OpError 'cmdlet_failed' "Unknown product in Get-CsServerVersion: $sentence") }
    return @{ product = $product; version = $version }
  } catch {
    $reason = [string]$_.Exception.Message
  }
  $registrars = @(Get-CsService -Registrar @Read)
  $major = $null
  foreach ($registrar in $registrars) {
    $v = Get-Text $registrar 'Version'
    if ($null -ne $v) { $major = ($v -split '\.')[0]; break }
  }
  if ($null -eq $major -or -not $ProductsByMajor.ContainsKey($major)) {
    throw (New-OpError 'cmdlet_failed' "Get-CsServerVersion failed ($reason), and no Registrar service of Get-CsService -Registrar shows a known Version")
  }
  Add-Fallback 'Get-CsServerVersion' $reason "the product from the topology (Get-CsService -Registrar, version $major); the build number is unknown"
  return @{ product = $ProductsByMajor[$major]; version = $major }
}

# Runs one op: a fixed cmdlet call per op name. Returns @{ data; warnings }.
function Invoke-Op([string]$op, $params) {
  $opWarnings = New-Object System.Collections.ArrayList
  $data = $null
  switch -Exact ($op) {
    'server.version' {
      $null = ConvertTo-Splat $params @()
      $script:fallbacks = New-Object System.Collections.ArrayList
      $found = Get-ServerVersion
      $levels = Get-VerificationLevels
      $data = [ordered]@{ product = $found.product; version = $found.version; verificationLevels = $levels }
      if ($script:fallbacks.Count -gt 0) { $data.fallbacks = @($script:fallbacks) }
    }
    'capabilities.get' {
      $null = ConvertTo-Splat $params @()
      # Implicit remoting imports each cmdlet as a function with the same parameters, so this reads
      # the server's binaries in both modes.
      $data = [ordered]@{}
      foreach ($name in $CapabilityCmdlets) {
        $command = Get-Command $name -ErrorAction Stop
        $data[$name] = @($command.Parameters.Keys | ForEach-Object { [string]$_ })
      }
    }
    'topology.get' {
      $null = ConvertTo-Splat $params @()
      $pools = New-Object System.Collections.ArrayList
      foreach ($edge in @(Get-CsService -EdgeServer @Read)) {
        $port = $null
        if ($null -ne (Get-Text $edge 'AccessEdgeExternalSipPort')) { $port = [int]$edge.AccessEdgeExternalSipPort }
        # Topology Builder's "Enable federation (port 5061)": the property name is on the
        # real-server checklist; without it the setting is reported as unknown (null).
        $federation = $null
        foreach ($name in @('IsFederationEnabled', 'FederationEnabled', 'EnableFederation')) {
          $flag = Get-Flag $edge $name
          if ($null -ne $flag) { $federation = $flag; break }
        }
        $null = $pools.Add([ordered]@{
          identity = [string]$edge.Identity
          accessEdgeExternalFqdn = [string]$edge.AccessEdgeExternalFqdn
          accessEdgeExternalSipPort = $port
          federationEnabled = $federation
        })
      }
      $data = [ordered]@{ edgePools = @($pools) }
    }
    'site.list' {
      $null = ConvertTo-Splat $params @()
      # Get-CsSite's Identity is the bare site name (its page: do not use "site:Redmond").
      $data = @(Get-CsSite @Read | ForEach-Object { ([string]$_.Identity) -replace '^site:', '' })
    }
    'externalAccessPolicy.holders' {
      $null = ConvertTo-Splat $params @()
      $data = [ordered]@{}
      foreach ($group in @(Get-CsUser -Filter 'ExternalAccessPolicy -ne $null' @Read | Group-Object { [string]$_.ExternalAccessPolicy })) {
        $data[(([string]$group.Name) -replace '^tag:', '')] = [int]$group.Count
      }
    }
    'publicProvider.probe' {
      # Binds the parameters and builds the provider in memory; nothing is committed.
      $splat = ConvertTo-Splat $params @('identity', 'proxyFqdn', 'enabled', 'verificationLevel', 'iconUrl',
        'nameDecorationRoutingDomain', 'nameDecorationExcludedDomainList', 'enableSkypeIdRouting', 'enableSkypeDirectorySearch')
      $splat['InMemory'] = $true
      $object = New-CsPublicProvider @splat @Read
      $data = [ordered]@{ verificationLevel = Get-Level $object }
    }
    'accessEdge.get' {
      $null = ConvertTo-Splat $params @()
      $edge = Get-CsAccessEdgeConfiguration @Read
      # RoutingMethod says UseDnsSrvRouting or UseDefaultRouting; where it cannot be read, only the
      # DNS SRV routing flavour of the settings has EnablePartnerDiscovery.
      $method = Get-Text $edge 'RoutingMethod'
      $routing = 'DefaultRoute'
      if ($null -ne $method) {
        if ($method -eq 'UseDnsSrvRouting') { $routing = 'DnsSrv' }
      } elseif ($null -ne $edge.PSObject.Properties['EnablePartnerDiscovery']) {
        $routing = 'DnsSrv'
      }
      $discovery = $null
      if ($routing -eq 'DnsSrv') { $discovery = Get-Flag $edge 'EnablePartnerDiscovery' }
      $data = [ordered]@{
        routing = $routing
        allowFederatedUsers = [bool]$edge.AllowFederatedUsers
        enablePartnerDiscovery = $discovery
        enableArchivingDisclaimer = [bool]$edge.EnableArchivingDisclaimer
        allowOutsideUsers = [bool]$edge.AllowOutsideUsers
      }
    }
    'sipDomain.list' {
      $null = ConvertTo-Splat $params @()
      $data = @(Get-CsSipDomain @Read | ForEach-Object { [ordered]@{ name = [string]$_.Name; isDefault = [bool]$_.IsDefault } })
    }
    'publicProvider.list' {
      $null = ConvertTo-Splat $params @()
      $data = @(Get-CsPublicProvider @Read | ForEach-Object { ConvertTo-PublicProvider $_ })
    }
    'hostingProvider.list' {
      $null = ConvertTo-Splat $params @()
      $data = @(Get-CsHostingProvider @Read | ForEach-Object {
        [ordered]@{ identity = [string]$_.Identity; proxyFqdn = [string]$_.ProxyFqdn; enabled = [bool]$_.Enabled; verificationLevel = Get-Level $_ }
      })
    }
    'externalAccessPolicy.list' {
      $null = ConvertTo-Splat $params @()
      $data = @(Get-CsExternalAccessPolicy @Read | ForEach-Object {
        [ordered]@{
          identity = ConvertTo-PolicyIdentity ([string]$_.Identity)
          enableFederationAccess = [bool]$_.EnableFederationAccess
          enablePublicCloudAccess = [bool]$_.EnablePublicCloudAccess
          enablePublicCloudAudioVideoAccess = [bool]$_.EnablePublicCloudAudioVideoAccess
          enableOutsideAccess = [bool]$_.EnableOutsideAccess
        }
      })
    }
    'user.externalAccessPolicy' {
      $splat = ConvertTo-Splat $params @('users')
      $users = New-Object System.Collections.ArrayList
      $notFound = New-Object System.Collections.ArrayList
      foreach ($sip in @($splat.users)) {
        try {
          $user = Get-CsUser -Identity ([string]$sip) @Read
        } catch {
          # An unknown (or not Lync-enabled) user is an answer, not a failure: the planner refuses on it.
          if ([string]$_.CategoryInfo.Category -ne 'ObjectNotFound' -and $_.Exception.Message -notlike '*not found*') { throw }
          $null = $notFound.Add([string]$sip)
          continue
        }
        $policy = $null
        if ($null -ne $user.ExternalAccessPolicy) { $policy = ([string]$user.ExternalAccessPolicy) -replace '^tag:', '' }
        $null = $users.Add([ordered]@{ user = [string]$sip; externalAccessPolicy = $policy })
      }
      $data = [ordered]@{ users = @($users); notFound = @($notFound) }
    }
    'clientPolicy.get' {
      $splat = ConvertTo-Splat $params @('identity')
      $wanted = ConvertTo-PolicyIdentity ([string]$splat.identity)
      # Listing and matching here makes "does not exist" a clear not_found on every version.
      $found = @(Get-CsClientPolicy @Read | Where-Object { (ConvertTo-PolicyIdentity ([string]$_.Identity)) -eq $wanted })
      if ($found.Count -eq 0) { throw (New-OpError 'not_found' "Cannot find ClientPolicy `"$wanted`" because it does not exist.") }
      $data = [ordered]@{ identity = $wanted; disablePICPromptDisplayName = Get-Flag $found[0] 'DisablePICPromptDisplayName' }
    }
    'replication.status' {
      $null = ConvertTo-Splat $params @()
      $data = @(Get-CsManagementStoreReplicationStatus @Read | ForEach-Object {
        $last = $null
        if ($null -ne $_.LastStatusReport) { $last = ([datetime]$_.LastStatusReport).ToUniversalTime().ToString('o') }
        [ordered]@{ replicaFqdn = [string]$_.ReplicaFqdn; upToDate = [bool]$_.UpToDate; lastUpdate = $last }
      })
    }
    'accessEdge.set' {
      # -UseDnsSrvRouting comes only with -EnablePartnerDiscovery, as Microsoft's examples pair
      # them, and only when the routing is already DNS SRV; -UseDefaultRouting is never sent.
      $splat = ConvertTo-Splat $params @('allowFederatedUsers', 'enablePartnerDiscovery', 'enableArchivingDisclaimer', 'useDnsSrvRouting')
      $null = Set-CsAccessEdgeConfiguration @splat @Write
    }
    'externalAccessPolicy.new' {
      $splat = ConvertTo-Splat $params @('identity', 'enableFederationAccess', 'enablePublicCloudAccess', 'enablePublicCloudAudioVideoAccess', 'enableOutsideAccess')
      $null = New-CsExternalAccessPolicy @splat @Write
    }
    'externalAccessPolicy.set' {
      $splat = ConvertTo-Splat $params @('identity', 'enableFederationAccess', 'enablePublicCloudAccess', 'enablePublicCloudAudioVideoAccess', 'enableOutsideAccess')
      $null = Set-CsExternalAccessPolicy @splat @Write
    }
    'externalAccessPolicy.remove' {
      # No -Force: removing a policy still granted to users must fail, not leave them pointing at nothing.
      $splat = ConvertTo-Splat $params @('identity')
      $null = Remove-CsExternalAccessPolicy @splat @Write
    }
    'externalAccessPolicy.grant' {
      $splat = ConvertTo-Splat $params @('user', 'policyName')
      $grant = @{ Identity = $splat.user; PolicyName = $splat.policyName }
      $null = Grant-CsExternalAccessPolicy @grant @Write
    }
    'publicProvider.new' {
      $splat = ConvertTo-Splat $params @('identity', 'proxyFqdn', 'enabled', 'verificationLevel', 'iconUrl',
        'nameDecorationRoutingDomain', 'nameDecorationExcludedDomainList', 'enableSkypeIdRouting', 'enableSkypeDirectorySearch')
      # An integer verificationLevel (the seed's 2) is bound by the server's own VerificationLevelType.
      $null = New-CsPublicProvider @splat @Write
    }
    'publicProvider.set' {
      $splat = ConvertTo-Splat $params @('identity', 'enabled', 'verificationLevel')
      $null = Set-CsPublicProvider @splat @Write
    }
    'publicProvider.remove' {
      $splat = ConvertTo-Splat $params @('identity')
      $null = Remove-CsPublicProvider @splat @Write
    }
    'clientPolicy.set' {
      $splat = ConvertTo-Splat $params @('identity', 'disablePICPromptDisplayName')
      $null = Set-CsClientPolicy @splat @Write
    }
    default {
      throw (New-OpError 'unknown_op' "The op `"$op`" is not in the catalog.")
    }
  }
  return @{ data = $data; warnings = @($opWarnings | ForEach-Object { [string]$_.Message }) }
}

# The shell error code for a failed call (src/contracts/shell-errors.ts); PowerShell tells fewer
# cases apart than the simulator does.
function Get-ErrorCode($record, [string]$op) {
  $code = $record.Exception.Data['picbotCode']
  if ($code) { return $code }
  $category = [string]$record.CategoryInfo.Category
  # Remove- of a per-user policy still in use asks for confirmation, which -NonInteractive refuses.
  if ($op -eq 'externalAccessPolicy.remove' -and $record.Exception.Message -match 'in use|NonInteractive') { return 'policy_in_use' }
  if ($category -eq 'ObjectNotFound') { return 'not_found' }
  if ($category -eq 'ResourceExists') { return 'already_exists' }
  if ($category -eq 'InvalidArgument' -or $record.Exception -is [System.Management.Automation.ParameterBindingException]) { return 'bad_params' }
  return 'cmdlet_failed'
}

function Write-Answer($answer) {
  $stdout.WriteLine((ConvertTo-Json -InputObject $answer -Depth 5 -Compress))
}

# Load the cmdlets once for the whole job.
$session = $null
try {
  if ($FrontEnd) {
    $session = New-PSSession -ConnectionUri "https://$FrontEnd/OcsPowershell" -Authentication NegotiateWithImplicitCredential -ErrorAction Stop
    $null = Import-PSSession -Session $session -AllowClobber -DisableNameChecking -ErrorAction Stop
  } elseif (Get-Module -ListAvailable -Name SkypeForBusiness) {
    Import-Module SkypeForBusiness -ErrorAction Stop
  } else {
    Import-Module Lync -ErrorAction Stop
  }
} catch {
  Write-Log "cannot load the Lync Server cmdlets: $($_.Exception.Message)"
  exit 2
}

while ($null -ne ($line = $stdin.ReadLine())) {
  if ($line.Trim() -eq '') { continue }
  try {
    $request = ConvertFrom-Json -InputObject $line
  } catch {
    Write-Answer ([ordered]@{ id = -1; ok = $false; error = [ordered]@{ code = 'bad_request'; message = 'the request line is not JSON' } })
    continue
  }
  $id = -1
  if ($request.id -is [int] -or $request.id -is [long]) { $id = $request.id }
  if ($id -lt 0 -or $request.op -isnot [string] -or $request.params -isnot [System.Management.Automation.PSCustomObject]) {
    Write-Answer ([ordered]@{ id = $id; ok = $false; error = [ordered]@{ code = 'bad_request'; message = 'a request is {"id": integer, "op": string, "params": object}' } })
    continue
  }
  try {
    $result = Invoke-Op $request.op $request.params
    $answer = [ordered]@{ id = $id; ok = $true; data = $result.data }
    if ($result.warnings.Count -gt 0) { $answer.warnings = @($result.warnings) }
  } catch {
    $answer = [ordered]@{ id = $id; ok = $false; error = [ordered]@{ code = (Get-ErrorCode $_ $request.op); message = [string]$_.Exception.Message } }
  }
  Write-Answer $answer
}

if ($session) { Remove-PSSession -Session $session }
exit 0
