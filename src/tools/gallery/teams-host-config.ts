/**
 * A host config that approximates Microsoft Teams' light theme (spacing, type ramp, colors) for the
 * card gallery. Written for picbot, not copied from Teams: the gallery shows layout and wording, and
 * the real Teams client remains the reference for exact pixels.
 */
const text = (normal: string, subtle: string) => ({ default: normal, subtle });

const foreground = {
  default: text('#242424', '#616161'),
  dark: text('#242424', '#616161'),
  light: text('#FFFFFF', '#F0F0F0'),
  accent: text('#5B5FC7', '#4F52B2'),
  good: text('#0E700E', '#107C10'),
  warning: text('#8A3707', '#A4262C'),
  attention: text('#C4314B', '#B10E1C'),
};

const style = (backgroundColor: string) => ({ backgroundColor, foregroundColors: foreground });

export const TEAMS_LIGHT_HOST_CONFIG = {
  supportsInteractivity: true,
  fontFamily: '"Segoe UI", "Segoe UI Web (West European)", -apple-system, "Helvetica Neue", "DejaVu Sans", sans-serif',
  spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
  separator: { lineThickness: 1, lineColor: '#E0E0E0' },
  fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
  fontWeights: { lighter: 300, default: 400, bolder: 600 },
  imageSizes: { small: 32, medium: 52, large: 100 },
  containerStyles: {
    default: style('#FFFFFF'),
    emphasis: style('#F5F5F5'),
    accent: style('#EBEBF8'),
    good: style('#F1FAF1'),
    attention: style('#FDF3F4'),
    warning: style('#FFF9F5'),
  },
  actions: {
    maxActions: 6,
    spacing: 'default',
    buttonSpacing: 8,
    showCard: { actionMode: 'inline', inlineTopMargin: 16 },
    actionsOrientation: 'horizontal',
    actionAlignment: 'left',
  },
  adaptiveCard: { allowCustomStyle: true },
  imageSet: { imageSize: 'medium', maxImageHeight: 100 },
  factSet: {
    title: { color: 'default', size: 'default', isSubtle: false, weight: 'bolder', wrap: true, maxWidth: 150 },
    value: { color: 'default', size: 'default', isSubtle: false, weight: 'default', wrap: true },
    spacing: 8,
  },
  inputs: {
    label: {
      requiredInputs: { weight: 'bolder', suffix: ' *', suffixColor: 'attention' },
      optionalInputs: { weight: 'bolder' },
    },
    errorMessage: { size: 'small', color: 'attention' },
  },
  textBlock: { headingLevel: 2 },
} as const;

/** CSS on top of the renderer's own stylesheet, for Teams-like buttons and inputs. */
export const TEAMS_LIGHT_CSS = `
body { margin: 0; background: #F5F5F5; font-family: ${TEAMS_LIGHT_HOST_CONFIG.fontFamily}; }
#frame { display: inline-block; padding: 12px; background: #F5F5F5; }
#card { width: 480px; background: #FFFFFF; border: 1px solid #E0E0E0; border-radius: 6px; overflow: hidden;
  box-shadow: 0 1px 2px rgba(0,0,0,0.14); }
#card.full { width: 640px; }
.ac-pushButton { font-family: inherit; font-size: 14px; font-weight: 600; color: #242424; background: #FFFFFF;
  border: 1px solid #D1D1D1; border-radius: 4px; min-height: 32px; padding: 5px 12px; }
.ac-pushButton.style-positive { color: #FFFFFF; background: #5B5FC7; border-color: #5B5FC7; }
.ac-pushButton.style-destructive { color: #FFFFFF; background: #C4314B; border-color: #C4314B; }
.ac-input { font-family: inherit; font-size: 14px; color: #242424; }
.ac-input.ac-textInput, .ac-input.ac-numberInput, .ac-input.ac-dateInput, .ac-input.ac-timeInput,
.ac-input.ac-multichoiceInput select, select.ac-input {
  border: 1px solid #D1D1D1; border-bottom-color: #616161; border-radius: 4px; padding: 5px 8px; min-height: 32px;
  box-sizing: border-box; background: #FFFFFF; }
.ac-input.ac-input-validation-failed, .ac-input-validation-failed { border-color: #C4314B !important; }
`;
