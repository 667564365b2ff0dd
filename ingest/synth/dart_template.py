"""Key skeleton of an Asylum Research DART-PFM image note (MFP-3D/Cypher software).

Readers must meet the same structure as on an instrument PC: key names, their order,
the keys that repeat with another meaning in a later block, and the two separators
(``Key: value`` and ``Key:value``) follow a real DART scan. Static values are generic
defaults; ``{placeholders}`` are filled per file by ``symcat.ingest.synth.dart``.
``{planefit}`` expands to the blank line and per-channel display block; ``{blank}``
keeps the trailing space of ``Key: `` lines that have no value.
"""

NOTE_TEMPLATE = """\
ScanSize: {scan_size}
FastScanSize: {fast_scan_size}
SlowScanSize: {slow_scan_size}
ScanRate: {scan_rate}
XOffset: {x_offset}
YOffset: {y_offset}
PointsLines: {points}
ScanPoints: {points}
ScanLines: {lines}
ScanAngle: {scan_angle}
ImagingMode:PFM Mode
InvOLS: {invols}
SpringConstant: {spring_constant}
AmpInvOLS: {amp_invols}
Amp2Invols: {amp2_invols}
FastRatio: 1
SlowRatio: {slow_ratio}
TopLine: {top_line}
BottomLine: 0
ScanMode:Closed Loop
NapMode:Off
FMapScanTime: 4.6
FMapScanPoints: 32
FMapScanLines: 32
FMapXYVelocity: 0.0004
FMapBookWise: 0
Channel1DataType: 1
DataTypeSum: 8247
PhaseOffset:{phase_offset_long}
PhaseOffset1:{phase_offset1_long}
NapPhaseOffset: {phase_offset}
VoltageParm: 0
NapParms: 0
PreScanSetting: 0
OrcaOffset: 0
OrcaOffset2: 0
UserIn0Gain: 1
UserIn0Offset: 0
UserIn1Gain: 1
UserIn1Offset: 0
UserIn2Gain: 1
UserIn2Offset: 0
LateralGain: 1
LateralOffset: 0
OrcaGain: NaN
OrcaGain2: NaN
FastMapScanRate: 0.16
FastMapZRate: 1e+06
dcdvPhaseOffset: 0
dcdZPhaseOffset: 0
bDFilterCube:1
Real Parms: End
Initial Parms: Start
Initial ScanSize: {scan_size}
Initial FastScanSize: {fast_scan_size}
Initial SlowScanSize: {slow_scan_size}
Initial ScanRate: {scan_rate}
ScanSpeed: {scan_speed}
Initial XOffset: {x_offset}
Initial YOffset: {y_offset}
Initial ScanPoints: {points}
Initial ScanLines: {lines}
RoundFactor: 0.04
IntegralGain: 10
ProportionalGain: 0
Initial ScanAngle: {scan_angle}
ScanAngleFactor: 1
AmplitudeSetpointVolts: {setpoint_volts}
AmplitudeSetpointMeters: {setpoint_meters}
DriveAmplitude: {drive_amplitude}
DriveFrequency: {drive_frequency}
SweepWidth: {sweep_width}
SlowScanEnabled: 1
DeflectionSetpointVolts: 0.3
DeflectionSetpointMeters: 0
DeflectionSetpointNewtons: 5e-09
Initial ImagingMode: {imaging_mode_code}
MaxScanSize: {max_scan_size}
Initial InvOLS: {invols}
Initial SpringConstant: {spring_constant}
DisplaySpringConstant: {display_spring_constant}
ScanStateChanged: 0
ScanDown: 1
XLVDTSens: 8e-06
YLVDTSens: 8.1e-06
ZLVDTSens: 1.3e-06
XLVDTOffset: 0.21
YLVDTOffset: -1.2
ZLVDTOffset: 0
YIgain: 3.6
YPgain: -inf
XIgain: 3.5
XPgain: -inf
LastScan: 1
XPiezoSens: 4.7e-07
YPiezoSens: 4.5e-07
ZPiezoSens: 7.1e-08
XDriveOffset: 0
YDriveOffset: 0
SweepPoints: 480
SecretGain: 0
YSgain: 5.7
XSgain: 5.8
DIsplayLVDTTraces: 0
Initial PhaseOffset: {phase_offset}
BaseSuffix: {base_suffix}
SaveImage: 2
ParmChange: 0
ADCgain: 0
OldADCgain: 12
OldScanSize: NaN
OldYOffset: {y_offset}
OldXOffset: {x_offset}
ZIgain: 4.4
ZPgain: -inf
ZSgain: 0
Initial AmpInvOLS: {amp_invols}
UpdateCounter: {update_counter}
DoMunge: 0
XMungeAlpha: 1
YMungeAlpha: 1
ZMungeAlpha: 1
StartHeadTemp: {head_temp}
StartScannerTemp: {scanner_temp}
Has1xACDeflGain: 1
DontChangeXPT: 0
LowNoise: 1
ScreenRatio: 0.75
XDriftRate: 0
YDriftRate: 0
XDriftTotal: 0
YDriftTotal: 0
DriftBIts: 0
DriftCount: 0
Setpoint: 0.0008
Initial FastRatio: 1
Initial SlowRatio: {slow_ratio}
Initial TopLine: {top_line}
Initial BottomLine: 0
ScanStatus: 1
Is1DPlus: 0
DelayUpdate: 0
MarkerRatio: 0
StartLineCount: 0
OldAmplitudeSetpointVolts: 0.8
OldDeflectionSetPointVolts: 0
Initial ScanMode: 0
Interpolate: -1248
TipVoltage: {tip_voltage}
SurfaceVoltage: {surface_voltage}
FreqIgain: 5
FreqPgain: 0
FreqSgain: 0
Initial OrcaGain: NaN
FreqGainOn: 0
Initial UserIn0Gain: 1
Initial UserIn1Gain: 1
Initial UserIn2Gain: 1
Initial LateralGain: 1
IsBipolar: 0
FrequencyHack: 0
MagneticField: NaN
DriveGainOn: 0
DriveIGain: 50
DrivePGain: 0
DriveSGain: 0
Initial UserIn0Offset: 0
Initial UserIn1Offset: 0
Initial UserIn2Offset: 0
Initial LateralOffset: 0
LastImage: 0
ZoomSize: 0
ZoomXOffset: {x_offset}
ZoomYOffset: {y_offset}
User0Voltage: 0
User1Voltage: 0
ExtendedZ: 0
DriveAmplitude1: {drive_amplitude1}
DriveFrequency1: {drive_frequency1}
SweepWidth1: {sweep_width1}
Initial PhaseOffset1: {phase_offset1}
Initial Amp2InvOLS: {amp2_invols}
Initial VoltageParm: 0
MicroscopeID: {microscope_id}
CapacitanceSens: 1
CapacitanceOffset: 0
CapPhaseOffset: 0
TipBiasOffset: 0
TipHeaterOffset: 0
SurfaceBiasOffset: 0
UseCantHolder: 0
CurrentCantHolder: 25
HasClickRing: 1
XScanDirection: 1
YScanDirection: 1
SaveImageCount: 0
SaveImageLines: 128
Initial OrcaGain2: NaN
UpdateSlowWave: 0
FBFilterBW: {fb_filter_bw}
CurrentSetpointAmps: 1
CurrentSetpointVolts: 1
OldCurrentSetpointVolts: 1
OldCurrentSetpointAmps: 1
HasFM: 1
LastScanWithdraw: 0
HasLaserRelay: 1
ToggleLaserRelay: 0
Decimation: {decimation}
DARTIGain: {dart_i_gain}
DARTPGain: 0
SampleHolder: 1
ManualSampleHolder: 0
CypherXPTLock: 0
XPTLock: 0
LogFeedback: 0
ARSysScanBusy: 0
SimpleControls: 0
Initial PointsLines: {points}
FreeAirAmplitude: 0
FreeAirPhase: 0
FreeAirDeflection: 0
FreeAirDriveAmplitude: 0
ContinualRetune: 0
ForceFilter: 0
TemperatureSens: 1
TemperatureOffset: 0
OffsetBehavior: 0
InputRange: 1
XLVDTSensSlope: 0
YLVDTSensSlope: 0
XLVDTSensIntercept: 0
YLVDTSensIntercept: 0
HaveWeKilledTheProgressBar: 1
Initial PreScanSetting: 0
ImageFrameTime: 0
FBFilterSelectivity: 0
HasDriveChoke: 0
DriveChokeOn: 0
CFCWFOS: 0
SkewAngle: 0
ContinualRetuneTime: 60
DRTimeStamp: 0
CRTimeStamp: 0
Cypher15VPower: 0
HasBlueDrive: 0
BlueDriveOn: 0
blueDriveOffset: 5
blueDriveMaxAmplitude: 0
bDDriveAmplitude: 0.002
bDDriveAmplitude1: 0.002
bDDiffEfficiencyV: 0.0045
BackPackIn0Gain: 1
BackPackIn0Offset: 0
BackPackIn1Gain: 1
BackPackIn1Offset: 0
BackPackIn2Gain: 1
BackPackIn2Offset: 0
BackPackIn3Gain: 1
BackPackIn3Offset: 0
BackPackIn4Gain: 1
BackPackIn4Offset: 0
bdReCalibrateTime: 0
bdMotorError: 0
ScanModeGUI: 0
FastMapSetpointVolts: 1
FastMapSetpointNewtons: 3.7e-07
OldFastMapSetpointVolts: 1
OldFastMapSetpointNewtons: 1
Initial FastMapZRate: 1e+06
FastMapAmplitude: 4e-07
FastMapFBMethod: 0
FastMapFBPhase: 0
FastMapFBWindow: 10
FastMapAmpSetpointVolts: 0.8
FastMapAmpSetpointMeters: 1.1e-07
FastMapIndex: 0
QueueProgress: 0
QueueEstimate: 0
QueueExpand: 0
FastMapIGain: NaN
Initial FastMapScanRate: 0.16
FastMapBaseLine: 0
blueThermOn: 0
FMapFreqSetpointHertz: 100
FMapDispSetpointVolts: 0.5
OldFMapFreqSetpointHertz: 100
OldFMapDispSetpointVolts: 0.5
OldFastMapAmpSetpointVolts: 0.8
OldFastMapAmpSetpointMeters: 1e-08
FastMapScanPoints: 256
FastMapScanLines: 256
FastMapOptScanPoints: 256
FastMapOptScanLines: 256
DisplaySpringConstant2: 1e-15
Springconstant2: 0
FreqDGain: 0
DriveDGain: 0
ImageSaveExpand: 0
Saturated: 0
IlluminatePercent: 82
LastThreadHandle: {thread_handle}
StartHeaterTemp:NaN °C
StartHeaterHumidity:NaN
MicroscopeModel:{microscope}
BlueDriveDissipationInWatts:0
Initial Parms: End
NapIntegralGain: 10
NapProportionalGain: 0
NapDeflectionSetpointVolts: 0.5
NapAmplitudeSetpointVolts: 0.8
NapDissipationSetpointVolts: 0.2
NapFrequencySetPointHz: 0
NapCurrentSetpointAmps: 1
NapDriveAmplitude: 1
NapDriveFrequency: 3e+05
NapDriveAmplitude1: 0.1
NapDriveFrequency1: 4.2e+05
NapPhaseOffset: 90
NapTipVoltage: 3
NapSurfaceVoltage: 0
NapUser0Voltage: 0
NapUser1Voltage: 0
NapHeight: 5e-08
NapStartHeight: 0
NapTime: 0.1
NapMode: 0
NapParms: 0
PotentialIGain: 3
PotentialPGain: 0
PotentialGainOn: 0
ElectricTune: 0
NapCurrentSetpointVolts: 1
PotentialLoopLimit: 30
ClosedNap: 0
NapZIGain: 10
NapZPGain: 0
AutoNapZGain: 1
bDNapDriveAmplitude: 0.002
bDNapDriveAmplitude1: 0.002
Channel1DataType: Height
Channel2DataType: Amplitude1
Channel3DataType: Phase1
Channel4DataType: Frequency
Channel5DataType: Amplitude2
Channel6DataType: Phase2
Channel7DataType: None
Channel8DataType: None
UserCalcFunc: CalcPhaseFromIQ
UserCalcBFunc: CalcAmpFromIQ
FastMap1DataType: Height
FastMap2DataType: MaxForce
FastMap3DataType: Adhesion
FastMap4DataType: HertzSphere2P
FastMapCapture: 1
InA: FilterOut
InB: Ground
InFast: ACDefl
InAOffset: Ground
InBOffset: Ground
InFastOffset: Ground
OutXMod: Off
OutYMod: Off
OutZMod: Off
FilterIn: Defl
BNCOut0: DDS
BNCOut1: Ground
BNCOut2: Ground
PogoOut: Ground
Chip: Ground
Shake: Ground
Input.Z.Filter.Freq: 130
Input.X.Filter.Freq: 1000
Input.Y.Filter.Freq: 1000
Input.A.Filter.Freq: 1500
Input.B.Filter.Freq: 130
Input.Fast.Filter.Freq: 130
Lockin.0.Filter.Freq: {lockin_filter}
Lockin.1.Filter.Freq: {lockin_filter}
Sample Rate: {sample_rate}
ThermalDC: 1e-14
ThermalQ: 20
ThermalFrequency: {thermal_frequency}
ThermalWhiteNoise: 5e-15
ScaleLog: 3
FitWidth: 20000
ThermalSamples: 1000
ThermalCounter: 0
SectionSamples: 10
SectionCounter: 0
DoThermal: 0
ThermalResolution: 4
ThermalZoom: 0
DoCantTune: 0
ZoomCounter: 200
AutoTuneLow: 50000
AutoTuneHigh: 4e+05
TargetVoltage: 1
TargetPercent: 0
CheckTuneTraces: 0
ButtonTime: {button_time}
ShowThermalFit: 0
AppendThermalBit: 40
TuneQ: 100
TuneGain: 0
TunePeakResult: {tune_peak}
TuneFreqResult: {resonance}
TuneQResult: {q_factor}
ThermalSamplesLimit: 0
TuneFeedback: 0
TuneDDSOutput: 0
TipVoltCenter: 0
TipVoltWidth: 10
ThermalFrequencyRange: 1
AutoTuneLimit: 0
AutoTuneLow1: 3e+05
AutoTuneHigh1: 6e+05
TargetVoltage1: 0.1
TargetPercent1: 0
DualACMode: 1
WhichACMode: 0
BackwardsTune: 0
TuneCaptureRate: 500
TuneTime: 0.96
TuneFilter: 500
iDriveOn: 0
FrequencyRatio: {frequency_ratio}
DFRTFrequencyCenter: {dfrt_center}
DFRTFrequencyWidth: {dfrt_width}
DFRTOn: 1
ThermalCenter: {thermal_frequency}
ThermalWidth: 30000
DFWMAMT: 0
LastXPos: 0
LastYPos: 0
PFMFrequencyLimit: inf
TuneLockin: 0
TipHeaterDrive: 0
AdjustSpringConstant: 1
DrawThermalFit: 0
LateralTune: 0
ThermalTemperature: 298
UseCypherThermal: 0
UseCypherMultiThread: 0
Illumination: 0
ARCZ: 0
TuneAngle: -90
IsDefaultFrequency: 1
TargetAmplitude: 0
TargetPhase: 90
LossTanAmp1: 0.0031
LossTanPhase1: -22
LossTanAmp2: 0.0028
LossTanPhase2: 130
LossTanFreq1: {drive_frequency}
LossTanFreq2: {drive_frequency1}
LossTanQ1: {q_factor}
LossTanQ2: 0
SecondFrequency: 0
TryFitAgain: 0
HighFrequencyMode: 0
ThermalLever:None
DoSader: 0
CustomLeverLength: 0.00024
CustomLeverWidth: 3e-05
CustomLeverFrequency: 70000
ResFreq1: {resonance}
ResFreq2: 0
GetStartedRoughness: 3
GetStartedOn: 0
GSGainGain: 1
GSSetpointPercent: 50
GSHardness: 0
GSLeverRange: 1
GetStartedMorePanel: 0
GSUseManualThermal: 0
GSMotorHeight: 0
GSStickySample: 0
GSDateTime:1
ThermalToolsOn: 0
ThermalGraphNoControls: 0
ThermalGraphStatus: 0
ThermalCenterHigh: 4.5e+05
ThermalWidthHigh: 1e+05
FitWidthHigh: 80000
ThermalFrequencyHigh: 4.5e+05
ThermalQHigh: 20
ThermalDCHigh: 1e-14
ThermalWhiteNoiseHigh: 5e-15
TuneGraphNoControls: 0
TuneGraphMode: 0
TuneToolsOn: 0
BadThermal: 0
YourVariablesStartHere: 0
DARTAnalysisImage: 0
DARTAmplitude1Label: 0
DARTAmplitude2Label: 0
DARTPhase1Label: 0
DARTPhase2Label: 0
DARTFrequency1Label: 0
Log File:Start
Log File:Stop
Date:{date}
Time:{time}
Seconds:{seconds}
UserCalcUnit: °
UserIn0Unit: V
UserIn1Unit: V
UserIn2Unit: V
LateralUnit: V
ARUserPanelName: {blank}
UserIn0Name: {blank}
UserIn1Name: {blank}
UserIn2Name: {blank}
UserCalcName: {blank}
UserIn0Ab: {blank}
UserIn1Ab: {blank}
UserIn2Ab: {blank}
UserCalcAb: {blank}
UserIn0Force: {blank}
UserIn1Force: {blank}
UserIn2Force: {blank}
UserCalcForce: {blank}
SaveImage: {save_path}
SaveForce: {save_path}
LastSaveImage: {save_path}
LastSaveForce: {save_path}
NavLoadPath: {blank}
LastNavLoadPath: {blank}
UserCalcBUnit: {blank}
UserCalcBName: {blank}
UserCalcBForce: {blank}
UserCalcBAb: {blank}
BackPackIn0Unit: V
BackPackIn0Name: {blank}
BackPackIn0Ab: {blank}
BackPackIn0Force: {blank}
BackPackIn1Unit: V
BackPackIn1Name: {blank}
BackPackIn1Ab: {blank}
BackPackIn1Force: {blank}
BackPackIn2Unit: V
BackPackIn2Name: {blank}
BackPackIn2Ab: {blank}
BackPackIn2Force: {blank}
BackPackIn3Unit: V
BackPackIn3Name: {blank}
BackPackIn3Ab: {blank}
BackPackIn3Force: {blank}
BackPackIn4Unit: V
BackPackIn4Name: {blank}
BackPackIn4Ab: {blank}
BackPackIn4Force: {blank}
OfflinePath: {save_path}
DetectorSum: Head.Laser.Sum
XSensor: Input.X
YSensor: Input.Y
ZSensor: Input.Z
DDSAmplitude0: $Lockin.0.Amp
DDSDCOffset0: $Lockin.DCOffset
DDSFrequency0: $Lockin.0.Freq
DDSFrequencyOffset0: $Lockin.0.FreqOffset
DDSPhaseOffset0: $Lockin.0.PhaseOffset
DDSAmplitude1: $Lockin.1.Amp
DDSFrequency1: $Lockin.1.Freq
DDSPhaseOffset1: $Lockin.1.PhaseOffset
Amplitude: $Lockin.0.r
Phase: $Lockin.0.theta
Inputi: $Lockin.0.i
Inputq: $Lockin.0.q
Inputi1: $Lockin.1.i
Inputq1: $Lockin.1.q
Count: Input.Counter0
Count2: Input.Counter1
Potential: $DDSDCOffset0
Amplitude1: $Lockin.1.r
Phase1: $Lockin.1.theta
DDSQGain0: $Lockin.0.QGain
DDSQAngle0: $Lockin.0.QAngle
DDSFrequencyOffset1: $Lockin.1.FreqOffset
Deflection: Input.A
Lateral: Head.Laser.Lateral
Frequency: $DDSFrequencyOffset1
LockIn: ARC.Lockin
Height: output.Z
DeflectionValue: $Deflection
DartAmp: LinearCombo.0.output
TipBias: $DDSDCOffset0
HeightLoop: PIDSloop.2
DriveLoop: PIDSloop.3
VerDate:{ver_date}
Version:{version}
XopVersion:{xop_version}
OSVersion:{os_version}
IgorFileVersion:{igor_file_version}
BaseName:{base_name}
SkewAngleRead:89.99999 °
ImageNote:{image_note}
TipSerialNumber:
{planefit}
EndHeadTemp:{head_temp_end}
EndScannerTemp:{scanner_temp_end}
EndHeaterTemp:NaN °C
EndHeaterHumidity:NaN
"""
